"""Moving blob bytes straight between this machine and an object store, through
the presigned URLs of a server's transfer plan (``archivist.core.transfers``).

    completion = upload(target, path, client=http)          # PUT (or parts in parallel)
    completions = upload_all([(target, path), ...], client=http)
    download(target, dest_path, client=http)                 # streaming GET, BLAKE3-checked

Uploads stream the file in chunks (a part's bytes are never all in memory),
retry a failed request (connection errors, 5xx, 429) with backoff, and report
progress in bytes. A whole-file PUT hashes what it sends and raises
``FileChangedError`` naming the file if it no longer matches its digest; parts
are hashed by the server when the upload completes. Downloads resume with a
``Range`` request after a dropped connection and delete the file if its BLAKE3
does not match. Progress callbacks may be called from several threads at once.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import blake3
import httpx

from archivist.client.transfer.multipart_journal import UploadJournal
from archivist.core.errors import (
    BlobNotFoundError,
    CommError,
    FileChangedError,
    IntegrityError,
    UsageError,
)
from archivist.core.progress import Progress
from archivist.core.transfers import (
    DownloadTarget,
    PartUrl,
    TransferMode,
    UploadCompletion,
    UploadedPart,
    UploadTarget,
)
from archivist.wire.file_reads import open_for_reading

Item = TypeVar("Item")
Result = TypeVar("Result")
CHUNK_BYTES = 1024 * 1024
DEFAULT_PART_WORKERS = 8
DEFAULT_FILE_WORKERS = 16
DEFAULT_ATTEMPTS = 4
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class _Progress:
    """Reports each byte once, however often a request is retried."""

    def __init__(self, callback: Progress | None) -> None:
        self._callback = callback
        self._reported = 0
        self._sent = 0

    def restart(self) -> None:
        self._sent = 0

    def advance(self, count: int) -> None:
        self._sent += count
        if self._callback is not None and self._sent > self._reported:
            self._callback(self._sent - self._reported)
            self._reported = self._sent


def _where(url: str) -> str:
    """The URL without its query string (which holds the signature)."""
    return url.split("?", 1)[0]


class _Retry(Exception):
    """A response worth trying again (5xx, 429)."""


def _check_status(response: httpx.Response, what: str, url: str) -> None:
    """Return on 2xx; raise ``_Retry`` for a passing failure, else the error to show."""
    status = response.status_code
    if status in RETRY_STATUSES:
        raise _Retry(f"HTTP {status}")
    if status == 404:
        raise BlobNotFoundError(f"{what}: {_where(url)} answered 404 (no such object)")
    if status >= 400:
        detail = response.read()[:200]
        raise CommError(
            f"{what}: {_where(url)} answered HTTP {status} {detail!r} "
            "(an expired presigned URL answers 403: plan the transfer again)"
        )


def _with_retries(what: str, url: str, attempts: int, exchange: Callable[[], Result]) -> Result:
    """``exchange()`` until it succeeds; connection errors and ``_Retry`` are retried with backoff."""
    last = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(0.25 * 2 ** (attempt - 1), 5.0))
        try:
            return exchange()
        except httpx.TransportError as error:
            last = f"{type(error).__name__}: {error}"
        except _Retry as error:
            last = str(error)
    raise CommError(f"{what}: {_where(url)} failed {attempts} times, last with {last}")


def _read_span(
    fd: int, offset: int, size: int, progress: _Progress, hasher: blake3.blake3 | None
) -> Iterator[bytes]:
    """The bytes ``[offset, offset + size)`` of ``fd`` in chunks (``pread``: threads share the fd)."""
    end = offset + size
    while offset < end:
        chunk = os.pread(fd, min(CHUNK_BYTES, end - offset), offset)
        if not chunk:
            return  # the file shrank: the server sees the short body and the digest check fails
        offset += len(chunk)
        if hasher is not None:
            hasher.update(chunk)
        progress.advance(len(chunk))
        yield chunk


def _open_checked(path: str, target: UploadTarget) -> int:
    fd = open_for_reading(path)
    size = os.fstat(fd).st_size
    if size != target.size:
        os.close(fd)
        raise FileChangedError(
            f"{path} changed before it was uploaded: it has {size} bytes, "
            f"{target.size} when it was hashed (blake3 {target.digest[:12]}...); nothing was stored"
        )
    return fd


# --- uploads --------------------------------------------------------------------------------------


def upload(
    target: UploadTarget,
    path: str | bytes,
    *,
    client: httpx.Client,
    progress: Progress | None = None,
    part_workers: int = DEFAULT_PART_WORKERS,
    attempts: int = DEFAULT_ATTEMPTS,
    journal: UploadJournal | None = None,
) -> UploadCompletion | None:
    """Send the bytes of ``path`` (or the bytes themselves) as the plan's ``target`` says.

    Returns the ``UploadCompletion`` to hand to the server (None when the store
    already holds the blob). With a ``journal``, a multipart upload is remembered
    before its first part goes out, so a process that dies midway can resume it.
    """
    if target.mode is TransferMode.STORED:
        return None
    if target.mode is TransferMode.VIA_SERVER:
        raise UsageError(f"blob {target.digest} goes through the API server, not a presigned URL")
    if target.upload_id is None:
        raise CommError(f"the upload plan for blob {target.digest} has no upload id")
    if isinstance(path, bytes):  # bytes the caller holds (small files): one PUT
        _put_held(target, path, client, _Progress(progress), attempts)
        return UploadCompletion(target.digest, target.upload_id)
    if target.mode is TransferMode.PUT:
        _put_whole(target, path, client, _Progress(progress), attempts)
        return UploadCompletion(target.digest, target.upload_id)
    token = target.resume_token
    if token is None:
        raise CommError(f"the multipart upload plan for blob {target.digest} has no multipart id")
    if journal is not None:
        journal.remember(target.digest, token)
    sent = _put_parts(target, path, client, progress, part_workers, attempts)
    parts = {part.part_number: part for part in (*target.uploaded, *sent)}
    return UploadCompletion(target.digest, token.upload_id, token.multipart_id, tuple(parts.values()))


def upload_all(
    items: Sequence[tuple[UploadTarget, str | bytes]],
    *,
    client: httpx.Client,
    progress: Progress | None = None,
    workers: int = DEFAULT_FILE_WORKERS,
    part_workers: int = DEFAULT_PART_WORKERS,
    attempts: int = DEFAULT_ATTEMPTS,
    journal: UploadJournal | None = None,
) -> list[UploadCompletion]:
    """``upload`` many ``(target, path)`` pairs, ``workers`` files at a time (small files
    cost one request each to the store, so they go in parallel); the first error is raised."""

    def one(item: tuple[UploadTarget, str | bytes]) -> UploadCompletion | None:
        target, path = item
        return upload(
            target,
            path,
            client=client,
            progress=progress,
            part_workers=part_workers,
            attempts=attempts,
            journal=journal,
        )

    results = _run_all(one, list(items), workers)
    return [completion for completion in results if completion is not None]


def _run_all(work: Callable[[Item], Result], items: list[Item], workers: int) -> list[Result]:
    """``work`` over ``items`` on a bounded pool; the first failure cancels what has not started."""
    if not items:
        return []
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(items))))
    try:
        futures = [pool.submit(work, item) for item in items]
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _put_held(
    target: UploadTarget, data: bytes, client: httpx.Client, progress: _Progress, attempts: int
) -> None:
    """PUT bytes already in memory (hashed by the caller from these very bytes)."""
    url = target.url
    if url is None or target.mode is not TransferMode.PUT:
        raise CommError(f"the upload plan for blob {target.digest} has no single-PUT URL")
    if len(data) != target.size:
        raise CommError(f"blob {target.digest} has {len(data)} bytes, the plan expects {target.size}")

    def send() -> httpx.Response:
        progress.restart()
        headers = {**target.headers, "Content-Length": str(len(data))}
        response = client.put(url, content=data, headers=headers)
        _check_status(response, f"uploading blob {target.digest[:12]}...", url)
        progress.advance(len(data))
        return response

    _with_retries(f"uploading blob {target.digest[:12]}...", url, attempts, send)


def _put_whole(
    target: UploadTarget, path: str, client: httpx.Client, progress: _Progress, attempts: int
) -> None:
    url = target.url
    if url is None:
        raise CommError(f"the upload plan for blob {target.digest} has no URL")
    what = f"uploading {path}"
    fd = _open_checked(path, target)
    hasher = blake3.blake3()
    try:

        def send() -> httpx.Response:
            nonlocal hasher
            hasher = blake3.blake3()
            progress.restart()
            body = _read_span(fd, 0, target.size, progress, hasher)
            headers = {**target.headers, "Content-Length": str(target.size)}
            response = client.put(url, content=body, headers=headers)
            _check_status(response, what, url)
            return response

        _with_retries(what, url, attempts, send)
    finally:
        os.close(fd)
    actual = hasher.hexdigest()
    if actual != target.digest:
        raise FileChangedError(
            f"{path} changed while it was being uploaded: expected blake3 {target.digest[:12]}..., "
            f"sent {actual[:12]}...; the server will not store it"
        )


def _put_parts(
    target: UploadTarget,
    path: str,
    client: httpx.Client,
    progress: Progress | None,
    workers: int,
    attempts: int,
) -> list[UploadedPart]:
    fd = _open_checked(path, target)
    lock = threading.Lock()

    def locked(count: int) -> None:
        if progress is not None:
            with lock:
                progress(count)

    def send_part(part: PartUrl) -> UploadedPart:
        part_progress = _Progress(locked)
        what = f"uploading part {part.part_number} of {path}"

        def send() -> httpx.Response:
            part_progress.restart()
            body = _read_span(fd, part.offset, part.size, part_progress, None)
            headers = {**target.headers, "Content-Length": str(part.size)}
            response = client.put(part.url, content=body, headers=headers)
            _check_status(response, what, part.url)
            return response

        response = _with_retries(what, part.url, attempts, send)
        etag = response.headers.get("etag")
        if not etag:
            raise CommError(f"the store sent no ETag for part {part.part_number} of {path}")
        return UploadedPart(part.part_number, etag)

    try:
        return _run_all(send_part, list(target.parts), workers)
    finally:
        os.close(fd)


# --- downloads ------------------------------------------------------------------------------------


def download(
    target: DownloadTarget,
    dest_path: str,
    *,
    client: httpx.Client,
    progress: Progress | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
) -> int:
    """Stream the blob of a ``DownloadTarget`` into ``dest_path`` and check its BLAKE3.

    Returns the size. A dropped connection resumes with a ``Range`` request; a
    blob whose bytes do not hash to its digest raises ``IntegrityError`` and leaves
    no file behind (the caller makes the write atomic by choosing ``dest_path``).
    """
    if not isinstance(target, DownloadTarget):
        raise UsageError(f"expected a DownloadTarget, got {target!r}")
    if target.mode is not TransferMode.GET or target.url is None:
        raise UsageError(f"blob {target.digest} comes through the API server, not a presigned URL")
    receiver = _Receiver(dest_path, _Progress(progress))
    try:
        _receive(target.url, target.digest, client, receiver, attempts)
        receiver.close()
    except BaseException:
        receiver.discard()
        raise
    actual = receiver.hasher.hexdigest()
    if actual != target.digest:
        receiver.discard()
        raise IntegrityError(
            f"blob {target.digest} arrived corrupted: its bytes hash to blake3 {actual}; "
            f"{dest_path} was removed"
        )
    return receiver.size


class _Receiver:
    """The file a download streams into, with its running BLAKE3."""

    def __init__(self, path: str, progress: _Progress) -> None:
        self.path = path
        self.progress = progress
        self.file = open(path, "wb")  # noqa: SIM115 - closed by close()/discard()
        self.hasher = blake3.blake3()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.file.write(chunk)
        self.hasher.update(chunk)
        self.size += len(chunk)
        self.progress.advance(len(chunk))

    def restart(self) -> None:
        """The server ignored a Range request: start the file over."""
        self.file.seek(0)
        self.file.truncate()
        self.hasher = blake3.blake3()
        self.size = 0
        self.progress.restart()

    def close(self) -> None:
        self.file.close()

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def _receive(url: str, digest: str, client: httpx.Client, receiver: _Receiver, attempts: int) -> None:
    what = f"downloading blob {digest}"

    def exchange() -> None:
        headers = {"Range": f"bytes={receiver.size}-"} if receiver.size else {}
        with client.stream("GET", url, headers=headers) as response:
            _check_status(response, what, url)
            if receiver.size and response.status_code != 206:
                receiver.restart()
            for chunk in response.iter_bytes(CHUNK_BYTES):
                receiver.write(chunk)

    _with_retries(what, url, attempts, exchange)
