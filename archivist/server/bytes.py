"""Blob bytes through the server (the folder-store path).

Uploads: ``UploadBatch`` consumes a framed stream (``archivist.core.blob_frames``)
and stores each blob as its bytes arrive, verifying the digest before the blob
becomes visible: small blobs are hashed in memory and written once, large ones
stream through a ``BlobWriter`` (a temp file renamed into place only when the
digest matched). A blob whose bytes do not match is not stored and is reported;
the others are stored. An aborted batch leaves no blob and no temp file behind.

Downloads: ``file_chunks`` streams one blob, ``frame_stream`` many, in chunks of
about ``CHUNK_BYTES`` so that each step of the response costs one thread hop,
not one per small file.

Object stores that presign URLs take uploads straight from the client instead
(``archivist.server.routes_transfers``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from archivist.core.blob_frames import FrameParser, encode_header
from archivist.core.errors import BlobNotFoundError, IntegrityError, InvalidInputError
from archivist.storage.base import BlobStore
from archivist.storage.local import BlobWriter, LocalBlobStore

CHUNK_BYTES = 1 << 20
IN_MEMORY_BYTES = 4 << 20
"""Blobs up to this size are hashed in memory before anything is written."""


class _MemorySink:
    def __init__(self, store: BlobStore, digest: str) -> None:
        self.store, self.digest, self.buffer = store, digest, bytearray()

    def write(self, data: memoryview) -> None:
        self.buffer += data

    def commit(self) -> None:
        self.store.put_bytes(self.digest, bytes(self.buffer))

    def abort(self) -> None:
        self.buffer.clear()


class _WriterSink:
    """Streams into the folder store's temp file; renamed into place on a digest match."""

    def __init__(self, writer: BlobWriter) -> None:
        self.writer = writer

    def write(self, data: memoryview) -> None:
        self.writer.write(data)

    def commit(self) -> None:
        self.writer.commit()

    def abort(self) -> None:
        self.writer.abort()


class _SpoolSink:
    """For other stores: spool to a temp file, then ``put_file`` (which verifies)."""

    def __init__(self, store: BlobStore, digest: str) -> None:
        self.store, self.digest = store, digest
        self.file = tempfile.NamedTemporaryFile(prefix="archivist-upload-", delete=False)  # noqa: SIM115

    def write(self, data: memoryview) -> None:
        self.file.write(data)

    def commit(self) -> None:
        self.file.close()
        try:
            self.store.put_file(self.digest, self.file.name)
        finally:
            self.abort()

    def abort(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.file.name)


_Sink = _MemorySink | _WriterSink | _SpoolSink


def open_sink(store: BlobStore, digest: str, size: int) -> _Sink:
    if size <= IN_MEMORY_BYTES:
        return _MemorySink(store, digest)
    if isinstance(store, LocalBlobStore):
        return _WriterSink(store.open_writer(digest))
    return _SpoolSink(store, digest)


class _FrameSink:
    """Adapts a blob sink to the frame parser and records the outcome in the batch."""

    def __init__(self, batch: UploadBatch, digest: str, sink: _Sink) -> None:
        self.batch, self.digest, self.sink = batch, digest, sink

    def write(self, data: memoryview) -> None:
        self.sink.write(data)

    def close(self) -> None:
        self.batch.open_sink = None
        try:
            self.sink.commit()
        except IntegrityError as error:
            self.batch.rejected.append({"digest": self.digest, "code": error.code, "message": error.message})
            return
        self.batch.stored.append(self.digest)


class UploadBatch:
    """One framed upload stream being stored; feed it bytes, then ``finish`` or ``abort``."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self.stored: list[str] = []
        self.rejected: list[dict[str, str]] = []
        self.open_sink: _Sink | None = None
        self._parser = FrameParser(self._begin)

    def _begin(self, digest: str, size: int) -> _FrameSink:
        self.open_sink = open_sink(self.store, digest, size)
        return _FrameSink(self, digest, self.open_sink)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        self._parser.feed(data)

    def finish(self) -> dict[str, object]:
        self._parser.finish()
        return {"stored": self.stored, "rejected": self.rejected}

    def abort(self) -> None:
        """The stream broke off: drop the blob in progress (the finished ones are stored)."""
        if self.open_sink is not None:
            self.open_sink.abort()
            self.open_sink = None


class SingleUpload:
    """The raw bytes of one blob of a known size (``PUT /blobs/{digest}``); same interface
    as ``UploadBatch``, but a digest mismatch fails the request with ``IntegrityError``."""

    def __init__(self, store: BlobStore, digest: str, size: int) -> None:
        self.digest, self.size, self.received = digest, size, 0
        self.sink: _Sink | None = open_sink(store, digest, size)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        assert self.sink is not None
        self.received += len(data)
        if self.received > self.size:
            raise InvalidInputError(f"blob {self.digest}: more bytes arrived than Content-Length {self.size}")
        self.sink.write(memoryview(data))

    def finish(self) -> dict[str, object]:
        if self.received != self.size:
            raise InvalidInputError(
                f"blob {self.digest}: {self.received} bytes arrived, Content-Length said {self.size}"
            )
        sink, self.sink = self.sink, None
        assert sink is not None
        sink.commit()
        return {"stored": [self.digest], "rejected": []}

    def abort(self) -> None:
        if self.sink is not None:
            self.sink.abort()
            self.sink = None


def _open_blob(store: BlobStore, digest: str) -> tuple[BinaryIO, int]:
    """A reader of the blob and its size (a non-folder store's blob is spooled to learn it)."""
    local = store.local_path(digest)
    if local is not None:
        try:
            handle = open(local, "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} is not in the store") from None
        return handle, os.fstat(handle.fileno()).st_size
    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115
    with store.open(digest) as reader:
        while chunk := reader.read(CHUNK_BYTES):
            spool.write(chunk)
    size = spool.tell()
    spool.seek(0)
    return spool, size  # type: ignore[return-value]


def blob_size(store: BlobStore, digest: str) -> int:
    """The size of a stored blob; ``BlobNotFoundError`` when absent."""
    local = store.local_path(digest)
    if local is not None:
        with contextlib.suppress(FileNotFoundError):
            return os.stat(local).st_size
    if store.missing([digest]):
        raise BlobNotFoundError(f"blob {digest} is not in the store")
    handle, size = _open_blob(store, digest)
    handle.close()
    return size


def file_chunks(store: BlobStore, digest: str) -> Iterator[bytes]:
    handle, _size = _open_blob(store, digest)
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def frame_stream(store: BlobStore, digests: Sequence[str]) -> Iterator[bytes]:
    """The framed stream of ``digests`` in order, coalesced into chunks of about ``CHUNK_BYTES``."""
    pending = bytearray()
    for digest in digests:
        handle, size = _open_blob(store, digest)
        with handle:
            pending += encode_header(digest, size)
            while chunk := handle.read(CHUNK_BYTES):
                pending += chunk
                if len(pending) >= CHUNK_BYTES:
                    yield bytes(pending)
                    pending.clear()
    if pending:
        yield bytes(pending)


def check_present(store: BlobStore, digests: Sequence[str]) -> None:
    missing = store.missing(digests)
    if missing:
        shown = ", ".join(sorted(missing)[:3])
        raise BlobNotFoundError(f"{len(missing)} blob(s) are not in the store: {shown}")
