"""Measures the peak memory of moving one large blob through an ObjectBlobStore.

Run as ``python -m tests.storage.memory_probe STORE_URL WORK_DIR SIZE`` (the AWS_*
variables point at the store); prints one JSON line of figures. Memory is read from
``/proc/self/status``: VmRSS before a phase, VmHWM (the peak, reset at the start of
the phase) after it. ``getrusage``'s peak is not used: it survives ``exec`` and so
would report the parent's peak. The file is written and hashed in chunks, never
memory-mapped, so that mapped pages do not count as the code under test's memory.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

import blake3
import httpx

from archivist.client.transfer.presigned import download, upload
from archivist.core.transfers import TransferPolicy, UploadRequest
from archivist.service.transfers import complete_uploads, plan_downloads, plan_uploads
from archivist.storage.object_store import ObjectBlobStore

CHUNK = 4 * 1024 * 1024


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as status:
        match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    assert match is not None, field
    return int(match.group(1)) / 1024


def start_phase() -> float:
    """Reset the peak to the current RSS and return it."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    return _status_mib("VmRSS")


def peak_growth(baseline: float) -> float:
    return round(_status_mib("VmHWM") - baseline, 1)


def write_file(path: str, size: int, salt: bytes) -> str:
    """A file of ``size`` pseudo-random bytes, written and hashed chunk by chunk."""
    hasher = blake3.blake3()
    block = os.urandom(CHUNK)
    with open(path, "wb") as out:
        written = 0
        while written < size:
            chunk = (salt + block)[: min(CHUNK, size - written)]
            out.write(chunk)
            hasher.update(chunk)
            written += len(chunk)
            salt = hasher.digest()[:8]
    return hasher.hexdigest()


def main(url: str, work_dir: str, size: int) -> None:
    store = ObjectBlobStore(url)
    small = os.path.join(work_dir, "small.bin")
    with open(small, "wb") as out:
        out.write(b"warm-up")
    store.put_file(blake3.blake3(b"warm-up").hexdigest(), small)  # load every code path once
    _ = store.multipart  # boto3's import and client are a fixed cost, not the blob's
    path = os.path.join(work_dir, "large.bin")
    digest = write_file(path, size, b"store")
    store_baseline = start_phase()
    started = time.perf_counter()
    store.put_file(digest, path)
    hasher = blake3.blake3()
    with store.open(digest) as reader:
        while chunk := reader.read(CHUNK):
            hasher.update(chunk)
    store_seconds = time.perf_counter() - started
    store_growth = peak_growth(store_baseline)

    path2 = os.path.join(work_dir, "large2.bin")
    digest2 = write_file(path2, size, b"direct")
    os.unlink(path)
    policy = TransferPolicy(multipart_threshold=64 * 1024 * 1024)
    direct_baseline = start_phase()
    started = time.perf_counter()
    with httpx.Client() as client:
        [target] = plan_uploads(store, [UploadRequest(digest2, size)], policy)
        completion = upload(target, path2, client=client)
        assert completion is not None
        complete_uploads(store, [completion])
        [download_target] = plan_downloads(store, [digest2], policy)
        received = os.path.join(work_dir, "received.bin")
        download(download_target, received, client=client)
    direct_seconds = time.perf_counter() - started
    direct_growth = peak_growth(direct_baseline)
    print(
        json.dumps(
            {
                "size_mib": size / 2**20,
                "verified": hasher.hexdigest() == digest and os.path.getsize(received) == size,
                "baseline_rss_mib": round(store_baseline, 1),
                "store_peak_growth_mib": store_growth,
                "direct_peak_growth_mib": direct_growth,
                "store_put_and_read_seconds": round(store_seconds, 2),
                "direct_upload_verify_download_seconds": round(direct_seconds, 2),
                "multipart_parts": len(target.parts),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
