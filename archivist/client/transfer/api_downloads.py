"""Blob bytes from a server to this machine (a folder store: the server carries them).

Many blobs: framed ``POST /blobs/download`` batches of ``DOWNLOAD_BATCH_FILES``,
``TRANSFER_THREADS`` of them at once over the session's kept-alive connections.
The server sends each asked blob once, in the order it reads them best; a frame
for a blob not asked (or sent twice) is refused. A batch whose answer breaks off
(the connection drops, or the stream ends early) is asked again for the blobs it
did not deliver whole. ``fetch_many`` hands each blob's bytes to a callback (the
SDK verifies and writes them: no temp file, nothing read back).

One large blob: ``download_to`` streams ``GET /blobs/{digest}`` into one or more new
files at once and hashes it on the way, so it is never read back to be verified; the
answer is read in large pieces straight into one buffer (``streaming_get``) unless a proxy
stands between us and the server. ``download_one`` is
the plain single download behind ``Backend.download_blob``.

Nothing here checks digests against what was asked: the callers compare.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import threading
from collections.abc import Callable, Iterator, Sequence

import blake3

from archivist.client.http_session import ApiSession, IncompleteAnswer, encode_json
from archivist.client.transfer import streaming_get
from archivist.client.transfer.api_uploads import Stopped, run_parallel
from archivist.core.errors import CommError, InvalidInputError
from archivist.core.progress import Progress
from archivist.wire.background_batches import BatchWorker
from archivist.wire.blob_frames import FrameParser

DOWNLOAD_BATCH_FILES = 1000
WRITE_BYTES = 1 << 20
"""``download_to`` writes and hashes pieces of about this size..."""
COPY_STEP_BYTES = 16 << 20
"""...and its copier thread follows in steps of this size."""
_JSON = {"Content-Type": "application/json"}
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)

Receive = Callable[[str, bytes], None]
"""``receive(digest, data)``: one blob's bytes, whole."""


def _no_progress(_n: int) -> None:
    pass


# --- many blobs in framed batches --------------------------------------------------------


class _MemoryFrame:
    """Collects one frame's bytes and hands them over at its end."""

    __slots__ = ("data", "deliver", "digest", "parts", "size")

    def __init__(self, digest: str, size: int, deliver: Callable[[str, bytes], None]) -> None:
        self.digest, self.size, self.deliver = digest, size, deliver
        self.data: bytes | None = None
        self.parts: bytearray | None = None

    def write(self, data: memoryview) -> None:
        if self.parts is None and len(data) == self.size:
            self.data = bytes(data)  # the whole frame in one piece: one copy
            return
        if self.parts is None:
            self.parts = bytearray()
        self.parts += data

    def close(self) -> None:
        self.deliver(self.digest, self.data if self.data is not None else bytes(self.parts or b""))


Begin = Callable[[str, int, Callable[[str], None]], _MemoryFrame]
"""``begin(digest, size, delivered)``: the sink of a frame, which calls ``delivered(digest)`` at its end."""


def fetch_many(session: ApiSession, digests: Sequence[str], receive: Receive) -> None:
    """Hand each blob's bytes to ``receive`` (called from several threads at once)."""

    def begin(digest: str, size: int, delivered: Callable[[str], None]) -> _MemoryFrame:
        def deliver(digest: str, data: bytes) -> None:
            receive(digest, data)
            delivered(digest)

        return _MemoryFrame(digest, size, deliver)

    _run_batches(session, list(dict.fromkeys(digests)), begin)


def _run_batches(session: ApiSession, digests: list[str], begin: Begin) -> None:
    batches = [digests[i : i + DOWNLOAD_BATCH_FILES] for i in range(0, len(digests), DOWNLOAD_BATCH_FILES)]
    stop = threading.Event()
    run_parallel([functools.partial(_fetch_batch, session, batch, begin, stop) for batch in batches], stop)


class _SinkFailed(Exception):
    """A frame's sink (the caller's code) failed: raised as it is, never retried."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _fetch_batch(session: ApiSession, batch: Sequence[str], begin: Begin, stop: threading.Event) -> None:
    remaining = dict.fromkeys(batch)  # not delivered whole yet, in the order asked
    try:
        session.with_retries(functools.partial(_ask_batch, session, remaining, begin, stop), idempotent=True)
    except _SinkFailed as failure:
        raise failure.error from None


def _ask_batch(session: ApiSession, remaining: dict[str, None], begin: Begin, stop: threading.Event) -> None:
    """One request for the blobs of the batch not delivered yet."""
    if not remaining:
        return
    asked = len(remaining)
    body = encode_json({"digests": list(remaining)})

    def start(digest: str, size: int) -> _Guarded:
        if digest not in remaining:
            raise CommError(f"the server sent blob {digest}, which was not asked for (or sent it twice)")
        try:
            return _Guarded(begin(digest, size, remaining.pop))
        except Exception as error:
            raise _SinkFailed(error) from error

    parser = FrameParser(start)
    try:
        with session.stream("POST", "/blobs/download", content=body, headers=_JSON) as response:
            for chunk in response.iter_bytes():
                if stop.is_set():
                    raise Stopped
                parser.feed(chunk)
        parser.finish()
    except InvalidInputError as error:  # only the parser raises it: the frames are malformed
        raise IncompleteAnswer(f"the server's blob stream is malformed: {error.message}") from None
    if remaining:
        delivered = asked - len(remaining)
        raise IncompleteAnswer(f"the server's answer ended after {delivered} of the {asked} blobs asked")


class _Guarded:
    """A frame sink whose failures are the caller's (``_SinkFailed``), not the stream's."""

    __slots__ = ("sink",)

    def __init__(self, sink: _MemoryFrame) -> None:
        self.sink = sink

    def write(self, data: memoryview) -> None:
        try:
            self.sink.write(data)
        except Exception as error:
            raise _SinkFailed(error) from error

    def close(self) -> None:
        try:
            self.sink.close()
        except Exception as error:
            raise _SinkFailed(error) from error


# --- one blob ----------------------------------------------------------------------------


def download_one(session: ApiSession, digest: str, dest_path: str, progress: Progress | None) -> None:
    report = progress or _no_progress

    def attempt() -> None:
        with session.stream("GET", f"/blobs/{digest}") as response, open(dest_path, "wb") as out:
            for chunk in response.iter_bytes():
                out.write(chunk)
                report(len(chunk))

    session.with_retries(attempt, idempotent=True)


def download_to(session: ApiSession, digest: str, paths: Sequence[str], progress: Progress | None) -> str:
    """Write the blob to each of ``paths`` -- new files (``FileExistsError`` if one exists) --
    and return the BLAKE3 of the bytes written. If it fails, the files are removed again.

    The first file is written and hashed as the bytes arrive; a copier thread fills the
    others from it (``copy_file_range``) a few megabytes behind, so they cost no second
    pass. (Writing two files from Python at once is several times slower.)
    """
    report = progress or _no_progress
    fds = _create_all(paths)
    tries = 0
    try:

        def attempt() -> str:
            nonlocal tries
            tries += 1
            if tries > 1:  # a retry starts the files over (never before: see _FileWriter)
                for fd in fds:
                    os.ftruncate(fd, 0)
            hasher = blake3.blake3()
            copier = _Copier(paths[0], fds[1:]) if len(fds) > 1 else None
            writer = _FileWriter(fds[0], copier.advance if copier is not None else None, hasher)
            written = 0
            try:
                with _blob_pieces(session, digest) as pieces:
                    for piece in pieces:
                        writer.write(piece, written)
                        written += len(piece)
                        report(len(piece))
                writer.finish()
                if copier is not None:
                    copier.finish(written)
            finally:
                writer.close()
                if copier is not None:
                    copier.close()
            return hasher.hexdigest()

        hexdigest = session.with_retries(attempt, idempotent=True)
    except BaseException:
        _close_and_remove(fds, paths)
        raise
    for fd in fds:
        os.close(fd)
    return hexdigest


@contextlib.contextmanager
def _blob_pieces(session: ApiSession, digest: str) -> Iterator[Iterator[bytes | memoryview]]:
    """The blob's bytes in large pieces: read straight into one buffer (``streaming_get``)
    where that reaches the server, else httpx's chunks joined (each valid until the next)."""
    if streaming_get.usable(session):
        with streaming_get.get_pieces(session, f"/blobs/{digest}", buffers=_FileWriter.PIECES_HELD) as pieces:
            yield pieces
        return
    with session.stream("GET", f"/blobs/{digest}") as response:
        yield _coalesced(response.iter_bytes())


def _coalesced(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks joined into pieces of about ``WRITE_BYTES`` (fewer, larger writes)."""
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= WRITE_BYTES:
            yield pending[0] if len(pending) == 1 else b"".join(pending)
            pending, size = [], 0
    if pending:
        yield b"".join(pending)


def _create_all(paths: Sequence[str]) -> list[int]:
    fds: list[int] = []
    try:
        for path in paths:
            fds.append(os.open(path, _NEW_FILE, 0o666))
    except BaseException:
        _close_and_remove(fds, paths[: len(fds)])
        raise
    return fds


def _close_and_remove(fds: Sequence[int], paths: Sequence[str]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


class _FileWriter:
    """Writes pieces to a file, and hashes them, on a thread of its own (``BatchWorker``)
    while the caller receives the next ones (``pwrite`` and BLAKE3 release the GIL), at most
    ``PIECES_HELD`` pieces behind. (Hashing on the receiving thread made receiving wait
    for it: a 1 GiB download took a third longer.)

    A file created new is never truncated first: on ext4 a truncated file is flushed to
    disk when it is closed, which cost a large download a third of a second.
    """

    PIECES_HELD = 3
    """A piece handed over must stay valid until this many more were handed over."""

    def __init__(self, fd: int, written: Progress | None, hasher: blake3.blake3) -> None:
        self.fd, self.written, self.hasher = fd, written, hasher
        # one piece queued and one being written while the caller fills a third
        self._worker: BatchWorker[tuple[bytes | memoryview, int]] = BatchWorker(
            self._write, queued=1, name="archivist-write"
        )

    def write(self, piece: bytes | memoryview, offset: int) -> None:
        if (error := self._worker.failure) is not None:
            raise error
        self._worker.put((piece, offset))

    def finish(self) -> None:
        """Wait until every piece is written; raise what writing one raised."""
        self._worker.finish()

    def close(self) -> None:
        self._worker.cancel()

    def _write(self, item: tuple[bytes | memoryview, int]) -> None:
        piece, offset = item
        _pwrite_fully(self.fd, piece, offset)
        self.hasher.update(piece)
        if self.written is not None:
            self.written(offset + len(piece))


class _Copier:
    """Copies what is written to a file into other files, on a thread of its own, in steps
    of ``COPY_STEP_BYTES`` as the writer reports progress. The kernel copies
    (``copy_file_range``); across filesystems, ``pread`` and ``pwrite``."""

    def __init__(self, source_path: str, fds: Sequence[int]) -> None:
        self.source = os.open(source_path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self.fds = fds
        self.error: BaseException | None = None
        self._asked = 0  # bytes the writer said are written
        self._final = False
        self._stopped = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="archivist-copy", daemon=True)
        self._thread.start()

    def advance(self, written: int) -> None:
        if written - self._asked >= COPY_STEP_BYTES:
            with self._changed:
                self._asked = written
                self._changed.notify()

    def finish(self, size: int) -> None:
        """Copy up to ``size`` bytes (all there is) and wait until it is done."""
        with self._changed:
            self._asked, self._final = size, True
            self._changed.notify()
        self._thread.join()
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify()
        self._thread.join()
        os.close(self.source)

    def _run(self) -> None:
        done = 0
        while True:
            with self._changed:
                while not self._stopped and not self._final and self._asked <= done:
                    self._changed.wait()
                if self._stopped:
                    return
                upto, final = self._asked, self._final
            try:
                for fd in self.fds:
                    _copy_range(self.source, fd, done, upto)
            except BaseException as error:
                self.error = error
                return
            done = upto
            if final:
                return


def _copy_range(source: int, dest: int, start: int, end: int) -> None:
    offset = start
    while offset < end:
        try:
            copied = os.copy_file_range(source, dest, end - offset, offset, offset)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            copied = _copy_by_hand(source, dest, offset, end)
        if copied == 0:
            raise CommError(f"the downloaded file ended at byte {offset}, before byte {end}")
        offset += copied


def _copy_by_hand(source: int, dest: int, offset: int, end: int) -> int:
    data = os.pread(source, min(end - offset, WRITE_BYTES), offset)
    if data:
        _pwrite_fully(dest, data, offset)
    return len(data)


def _pwrite_fully(fd: int, data: bytes | memoryview, offset: int) -> None:
    written = os.pwrite(fd, data, offset)
    if written < len(data):
        rest = memoryview(data)[written:]
        while rest:
            count = os.pwrite(fd, rest, offset + written)
            written += count
            rest = rest[count:]
