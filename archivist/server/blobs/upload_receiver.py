"""Blob bytes through the server: what the upload routes store (downloads are in
``archivist.server.blobs.download_sender``).

``UploadBatch`` consumes a framed stream (``archivist.wire.blob_frames``). Small
blobs (up to ``IN_MEMORY_BYTES``) are held in memory and stored together with one
``BlobStore.put_bytes_many`` call at the end of the stream (or whenever
``HOLD_BYTES`` are held): a folder store appends them to one pack file indexed in
one transaction, instead of a temp file and a rename per blob. Larger blobs stream
into the store's ``open_upload`` sink (in a folder store a temp file renamed into place
once its digest matched).
Every blob is verified against its digest before it becomes visible; one whose
bytes do not match is not stored and is reported as rejected, the others are
stored. A stream that breaks off stores none of the small blobs it still held and
leaves no temp file behind (the client sends the batch again).

Object stores that presign URLs take uploads straight from the client instead
(``archivist.server.blobs.transfer_routes``).

Each upload goes through the uploader's ``UploadLedger`` (``upload_ledger``): it is reserved against their
upload quota before its bytes are taken, and confirmed once the server itself has hashed
the bytes -- whether or not the store held the blob already, so sending a digest with
other bytes never lets anyone read the real blob (``archivist.service.blob_access``).
"""

from __future__ import annotations

import blake3

from archivist.core.errors import IntegrityError, InvalidInputError
from archivist.server.blobs.upload_ledger import UploadLedger
from archivist.storage.base import BlobStore, UploadSink
from archivist.wire.blob_frames import FrameParser

IN_MEMORY_BYTES = 4 << 20
"""Blobs up to this size are hashed in memory before anything is written."""
HOLD_BYTES = 16 << 20
"""A batch stores the small blobs it holds once they add up to this many bytes."""


class _MemorySink:
    def __init__(self, store: BlobStore, digest: str) -> None:
        self.store, self.digest, self.buffer = store, digest, bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.buffer += data

    def commit(self) -> None:
        self.store.put_bytes(self.digest, bytes(self.buffer))

    def abort(self) -> None:
        self.buffer.clear()


def open_sink(store: BlobStore, digest: str, size: int) -> UploadSink:
    if size <= IN_MEMORY_BYTES:
        return _MemorySink(store, digest)
    return store.open_upload(digest, size)  # refused at once where it cannot fit


class _FrameSink:
    """Adapts a streaming sink to the frame parser and records the outcome in the batch."""

    def __init__(self, batch: UploadBatch, digest: str, size: int, sink: UploadSink) -> None:
        self.batch, self.digest, self.size, self.sink = batch, digest, size, sink

    def write(self, data: memoryview) -> None:
        self.sink.write(data)

    def close(self) -> None:
        self.batch.open_sink = None
        try:
            self.sink.commit()
        except IntegrityError as error:
            self.batch.reject(self.digest, error.message)
            return
        self.batch.ledger.confirm_uploads({self.digest: self.size})
        self.batch.stored.append(self.digest)


class _HeldFrame:
    """Collects a small blob's bytes; at the frame's end the batch holds them."""

    __slots__ = ("batch", "data", "digest", "parts", "size")

    def __init__(self, batch: UploadBatch, digest: str, size: int) -> None:
        self.batch, self.digest, self.size = batch, digest, size
        self.data: bytes | None = None
        self.parts: bytearray | None = None

    def write(self, data: memoryview) -> None:
        if self.parts is None and len(data) == self.size:
            self.data = bytes(data)  # the whole frame arrived in one piece: one copy
            return
        if self.parts is None:
            self.parts = bytearray()
        self.parts += data

    def close(self) -> None:
        data = self.data if self.data is not None else bytes(self.parts or b"")
        self.batch.hold(self.digest, data)


class UploadBatch:
    """One framed upload stream being stored; feed it bytes, then ``finish`` or ``abort``."""

    def __init__(self, store: BlobStore, ledger: UploadLedger) -> None:
        self.store = store
        self.ledger = ledger
        self.stored: list[str] = []
        self.rejected: list[dict[str, str]] = []
        self.open_sink: UploadSink | None = None
        self._held: dict[str, bytes] = {}
        self._held_bytes = 0
        self._parser = FrameParser(self._begin)

    def _begin(self, digest: str, size: int) -> _HeldFrame | _FrameSink:
        if size <= IN_MEMORY_BYTES:
            return _HeldFrame(self, digest, size)
        self.ledger.reserve_uploads({digest: size})
        self.open_sink = self.store.open_upload(digest, size)
        return _FrameSink(self, digest, size, self.open_sink)

    def hold(self, digest: str, data: bytes) -> None:
        """Keep a small blob for the next ``put_bytes_many`` (a digest sent twice is kept once)."""
        if digest in self._held:
            return
        self._held[digest] = data
        self._held_bytes += len(data)
        if self._held_bytes >= HOLD_BYTES:
            self._store_held()

    def reject(self, digest: str, message: str) -> None:
        self.rejected.append({"digest": digest, "code": IntegrityError.code, "message": message})

    def _store_held(self) -> None:
        held, self._held, self._held_bytes = self._held, {}, 0
        if not held:
            return
        sizes = {digest: len(data) for digest, data in held.items()}
        self.ledger.reserve_uploads(sizes)
        # Checked here, not by the store: a store skips the bytes of a blob it holds already.
        for digest, actual in _mismatched(held):
            del held[digest], sizes[digest]
            self.reject(
                digest,
                f"blob bytes hash to blake3 {actual[:12]}..., expected {digest[:12]}...; nothing was stored",
            )
        self.store.put_bytes_many(list(held.items()))
        self.ledger.confirm_uploads(sizes)
        self.stored.extend(held)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        self._parser.feed(data)

    def finish(self) -> dict[str, object]:
        self._parser.finish()
        self._store_held()
        return {"stored": self.stored, "rejected": self.rejected}

    def abort(self) -> None:
        """The stream broke off: drop the blob in progress and the small blobs still held
        (blobs stored earlier stay)."""
        self._held.clear()
        self._held_bytes = 0
        if self.open_sink is not None:
            self.open_sink.abort()
            self.open_sink = None


def _mismatched(held: dict[str, bytes]) -> list[tuple[str, str]]:
    """``(digest, actual digest)`` of the held blobs whose bytes hash to something else."""
    hashed = ((digest, blake3.blake3(data).hexdigest()) for digest, data in held.items())
    return [(digest, actual) for digest, actual in hashed if actual != digest]


class SingleUpload:
    """The raw bytes of one blob of a known size (``PUT /blobs/{digest}``); same interface
    as ``UploadBatch``, but a digest mismatch fails the request with ``IntegrityError``."""

    def __init__(self, store: BlobStore, digest: str, size: int, ledger: UploadLedger) -> None:
        self.digest, self.size, self.received = digest, size, 0
        self.ledger = ledger
        ledger.reserve_uploads({digest: size})
        self.sink: UploadSink | None = open_sink(store, digest, size)

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
        self.ledger.confirm_uploads({self.digest: self.size})
        return {"stored": [self.digest], "rejected": []}

    def abort(self) -> None:
        if self.sink is not None:
            self.sink.abort()
            self.sink = None
