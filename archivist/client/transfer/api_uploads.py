"""Blob bytes between this machine and a server, in batches.

Uploads: files are grouped into batches of up to ``BATCH_BYTES`` or
``BATCH_FILES`` (a larger file travels alone) and each batch is one framed
``POST /blobs/upload`` streamed straight from the files, several batches at
once. The server verifies every blob's digest as it arrives; a file that
changed since it was hashed is rejected (nothing stored) and reported here as
``FileChangedError`` naming the file. A file that shrank or vanished meanwhile
is padded with zeros so the stream stays framed -- the server rejects it too.

Downloads are in ``archivist.client.transfer.api_downloads``; both use ``run_parallel``.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import BinaryIO

from archivist.client.http_session import ApiSession
from archivist.core.errors import ArchivistError, FileChangedError, PathNotFoundError
from archivist.core.progress import Progress
from archivist.wire.blob_frames import HEADER, FrameCollector

BATCH_BYTES = 16 << 20
BATCH_FILES = 5000
TRANSFER_THREADS = max(2, min(4, os.cpu_count() or 2))
"""Batches in flight at once: more than the cores only adds contention (measured on loopback)."""
CHUNK_BYTES = 1 << 20
OCTET_STREAM = "application/octet-stream"


def _no_progress(_n: int) -> None:
    pass


@dataclass(slots=True)
class Upload:
    digest: str
    path: str
    size: int
    data: bytes | None = None  # the bytes, when the caller holds them (else read from path)


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


class Stopped(Exception):
    """Another job of the same ``run_parallel`` failed: this one stopped early."""


def run_parallel(jobs: Sequence[Callable[[], None]], stop: threading.Event | None = None) -> None:
    """Run the jobs on up to TRANSFER_THREADS threads. When one fails, ``stop`` is set (jobs
    that watch it end early with ``Stopped``), the jobs not started are dropped, and that
    first failure is raised once every running job has ended."""
    if len(jobs) <= 1:
        for job in jobs:
            job()
        return
    stop = stop or threading.Event()
    with ThreadPoolExecutor(
        min(TRANSFER_THREADS, len(jobs)), thread_name_prefix="archivist-transfer"
    ) as pool:
        futures = [pool.submit(job) for job in jobs]
        done, running = wait(futures, return_when=FIRST_EXCEPTION)
        first_errors = [error for future in done if (error := future.exception()) is not None]
        if not first_errors:
            return
        stop.set()
        for future in running:
            future.cancel()
        wait(running)
    later = [future.exception() for future in running if not future.cancelled()]
    errors = [*first_errors, *(error for error in later if error is not None)]
    raise next((error for error in errors if not isinstance(error, Stopped)), errors[0])


# --- uploads -----------------------------------------------------------------------------


def upload_batches(session: ApiSession, uploads: Sequence[Upload], progress: Progress | None) -> None:
    report = progress or _no_progress
    run_parallel([functools.partial(_send_batch, session, batch, report) for batch in plan_batches(uploads)])


def _send_batch(session: ApiSession, batch: Sequence[Upload], progress: Progress) -> None:
    length = sum(HEADER.size + upload.size for upload in batch)
    headers = {"Content-Type": OCTET_STREAM, "Content-Length": str(length)}
    problems: dict[str, str] = {}

    def attempt() -> dict[str, list[dict[str, str]]]:
        problems.clear()
        response = session.client.post(
            "/blobs/upload", content=_frames(batch, progress, problems), headers=headers
        )
        session.raise_for_error(response)
        answer: dict[str, list[dict[str, str]]] = response.json()
        return answer

    report = session.with_retries(attempt, idempotent=True)
    rejected = {item["digest"]: item for item in report.get("rejected", [])}
    for upload in batch:
        if upload.digest in rejected:
            raise _rejection(upload, problems.get(upload.digest), rejected[upload.digest]["message"])


def _rejection(upload: Upload, problem: str | None, server_message: str) -> ArchivistError:
    if problem == "vanished":
        return PathNotFoundError(f"cannot read {upload.path}: no such file (it vanished during the upload)")
    return changed_during_upload(upload, server_message)


def changed_during_upload(upload: Upload, server_message: str) -> FileChangedError:
    """The server refused the bytes of ``upload``: its file changed since it was hashed."""
    return FileChangedError(
        f"{upload.path} changed while it was being uploaded: its bytes no longer hash to "
        f"blake3 {upload.digest[:12]}...; nothing was stored ({server_message})"
    )


def _frames(batch: Sequence[Upload], progress: Progress, problems: dict[str, str]) -> Iterator[bytes]:
    """The framed body of one batch, read from the files as it is sent."""
    collector = FrameCollector(CHUNK_BYTES)
    for upload in batch:
        yield from collector.add(upload.digest, upload.size, _file_bytes(upload, problems))
        progress(upload.size)
    yield from collector.flush()


def _file_bytes(upload: Upload, problems: dict[str, str]) -> Iterator[bytes]:
    """Exactly ``upload.size`` bytes: the file's, padded with zeros if it shrank or vanished."""
    if upload.data is not None:
        yield upload.data
        return
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


def file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        raise PathNotFoundError(f"cannot read {path}: no such file") from None
