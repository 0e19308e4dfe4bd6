"""Blob bytes between this machine and a server, in batches.

Uploads: files are grouped into batches of up to ``BATCH_BYTES`` or
``BATCH_FILES`` (a larger file travels alone) and each batch is one framed
``POST /blobs/upload`` streamed straight from the files, several batches at
once. The server verifies every blob's digest as it arrives; a file that
changed since it was hashed is rejected (nothing stored) and reported here as
``FileChangedError`` naming the file. A file that shrank or vanished meanwhile
is padded with zeros so the stream stays framed -- the server rejects it too.

Downloads: one streamed ``GET /blobs/{digest}`` per blob, or a framed
``POST /blobs/download`` for many blobs at once, written straight to their
destination files. The caller verifies what it received.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from archivist.client.http_session import ApiSession, encode_json
from archivist.core.blob_frames import HEADER, FrameParser, encode_header
from archivist.core.errors import ArchivistError, CommError, FileChangedError, PathNotFoundError

BATCH_BYTES = 16 << 20
BATCH_FILES = 2000
DOWNLOAD_BATCH_FILES = 1000
TRANSFER_THREADS = 4
CHUNK_BYTES = 1 << 20
OCTET_STREAM = "application/octet-stream"

Progress = Callable[[int], None]


def _no_progress(_n: int) -> None:
    pass


@dataclass(frozen=True)
class Upload:
    digest: str
    path: str
    size: int


def plan_batches(uploads: Sequence[Upload]) -> list[list[Upload]]:
    """Consecutive uploads grouped into batches of at most BATCH_BYTES / BATCH_FILES."""
    batches: list[list[Upload]] = []
    current: list[Upload] = []
    current_bytes = 0
    for upload in uploads:
        if current and (current_bytes + upload.size > BATCH_BYTES or len(current) >= BATCH_FILES):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(upload)
        current_bytes += upload.size
    if current:
        batches.append(current)
    return batches


def run_parallel(jobs: Sequence[Callable[[], None]]) -> None:
    """Run the jobs on up to TRANSFER_THREADS threads; the first failure is raised."""
    if len(jobs) <= 1:
        for job in jobs:
            job()
        return
    with ThreadPoolExecutor(
        min(TRANSFER_THREADS, len(jobs)), thread_name_prefix="archivist-transfer"
    ) as pool:
        futures = [pool.submit(job) for job in jobs]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


# --- uploads -----------------------------------------------------------------------------


def upload_batches(session: ApiSession, uploads: Sequence[Upload], progress: Progress | None) -> None:
    report = progress or _no_progress
    run_parallel([lambda batch=batch: _send_batch(session, batch, report) for batch in plan_batches(uploads)])


def _send_batch(session: ApiSession, batch: Sequence[Upload], progress: Progress) -> None:
    length = sum(HEADER.size + upload.size for upload in batch)
    headers = {"Content-Type": OCTET_STREAM, "Content-Length": str(length)}
    problems: dict[str, str] = {}

    def attempt() -> dict[str, list]:
        problems.clear()
        response = session.client.post(
            "/blobs/upload", content=_frames(batch, progress, problems), headers=headers
        )
        session.raise_for_error(response)
        return response.json()

    report = session.with_retries(attempt, idempotent=True)
    rejected = {item["digest"]: item for item in report.get("rejected", [])}
    for upload in batch:
        if upload.digest in rejected:
            raise _rejection(upload, problems.get(upload.digest), rejected[upload.digest]["message"])


def _rejection(upload: Upload, problem: str | None, server_message: str) -> ArchivistError:
    if problem == "vanished":
        return PathNotFoundError(f"cannot read {upload.path}: no such file (it vanished during the upload)")
    return FileChangedError(
        f"{upload.path} changed while it was being uploaded: its bytes no longer hash to "
        f"blake3 {upload.digest[:12]}...; nothing was stored ({server_message})"
    )


def _frames(batch: Sequence[Upload], progress: Progress, problems: dict[str, str]) -> Iterator[bytes]:
    """The framed body of one batch, read from the files as it is sent."""
    pending = bytearray()
    for upload in batch:
        pending += encode_header(upload.digest, upload.size)
        for chunk in _file_bytes(upload, problems):
            if len(chunk) >= CHUNK_BYTES // 2:  # a big piece: send as it is, without copying
                if pending:
                    yield bytes(pending)
                    pending.clear()
                yield chunk
            else:
                pending += chunk
                if len(pending) >= CHUNK_BYTES:
                    yield bytes(pending)
                    pending.clear()
        progress(upload.size)
    if pending:
        yield bytes(pending)


def _file_bytes(upload: Upload, problems: dict[str, str]) -> Iterator[bytes]:
    """Exactly ``upload.size`` bytes: the file's, padded with zeros if it shrank or vanished."""
    try:
        handle: BinaryIO | None = open(upload.path, "rb", buffering=0)  # noqa: SIM115
    except FileNotFoundError:
        handle = None
        problems[upload.digest] = "vanished"
    remaining = upload.size
    try:
        while remaining:
            chunk = handle.read(min(CHUNK_BYTES, remaining)) if handle is not None else b""
            if not chunk:
                problems.setdefault(upload.digest, "changed")
                chunk = bytes(min(CHUNK_BYTES, remaining))
            remaining -= len(chunk)
            yield chunk
    finally:
        if handle is not None:
            handle.close()


# --- downloads ---------------------------------------------------------------------------


def download_one(session: ApiSession, digest: str, dest_path: str, progress: Progress | None) -> None:
    report = progress or _no_progress

    def attempt() -> None:
        with session.stream("GET", f"/blobs/{digest}") as response, open(dest_path, "wb") as out:
            for chunk in response.iter_bytes():
                out.write(chunk)
                report(len(chunk))

    session.with_retries(attempt, idempotent=True)


def download_many(
    session: ApiSession, destinations: Mapping[str, Sequence[str]], progress: Progress | None
) -> None:
    """Write each blob (digest -> destination paths) in framed batches, several at once."""
    digests = list(destinations)
    batches = [digests[i : i + DOWNLOAD_BATCH_FILES] for i in range(0, len(digests), DOWNLOAD_BATCH_FILES)]
    report = progress or _no_progress
    run_parallel(
        [lambda batch=batch: _fetch_batch(session, batch, destinations, report) for batch in batches]
    )
    for paths in destinations.values():
        for extra in paths[1:]:
            shutil.copyfile(paths[0], extra)


class _FileSink:
    def __init__(self, path: str, progress: Progress) -> None:
        self.file = open(path, "wb")  # noqa: SIM115
        self.progress = progress

    def write(self, data: memoryview) -> None:
        self.file.write(data)
        self.progress(len(data))

    def close(self) -> None:
        self.file.close()


def _fetch_batch(
    session: ApiSession, batch: Sequence[str], destinations: Mapping[str, Sequence[str]], progress: Progress
) -> None:
    body = encode_json({"digests": list(batch)})
    headers = {"Content-Type": "application/json"}

    def attempt() -> None:
        expected = iter(batch)
        sinks: list[_FileSink] = []

        def begin(digest: str, _size: int) -> _FileSink:
            if digest != next(expected, None):
                raise CommError(f"the server sent blob {digest} out of the order asked")
            sinks.append(_FileSink(destinations[digest][0], progress))
            return sinks[-1]

        parser = FrameParser(begin)
        try:
            with session.stream("POST", "/blobs/download", content=body, headers=headers) as response:
                for chunk in response.iter_bytes():
                    parser.feed(chunk)
            parser.finish()
        finally:
            for sink in sinks:
                sink.file.close()
        if parser.frames != len(batch):
            raise CommError(f"the server sent {parser.frames} of the {len(batch)} blobs asked")

    session.with_retries(attempt, idempotent=True)


def file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        raise PathNotFoundError(f"cannot read {path}: no such file") from None
