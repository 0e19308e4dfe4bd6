"""Receiving one upload's body on the blob listener's socket into the store.

Into a store that offers a file for it (``BlobStore.open_splice_upload``: a folder store)
the kernel moves the body from the socket to the blob's temp file (``splice``) while a
second thread hashes what was written; into other stores it is read in large pieces
(``recv_into``), one stored on a second thread while the next arrives. Either way the
bytes are verified against the digest before the blob is stored.
"""

from __future__ import annotations

import socket

from archivist.server.blobs.upload_ledger import UNACCOUNTED, UploadLedger
from archivist.server.blobs.upload_receiver import SingleUpload
from archivist.storage.base import BlobStore, SpliceSink
from archivist.storage.loose import LARGE_CHUNK_BYTES
from archivist.wire.background_batches import BatchWorker
from archivist.wire.splice import SocketSplicer

PIECE_BYTES = 4 << 20
PIECES_HELD = 3
"""One piece being received, one queued and one being stored."""


def receive_body(
    connection: socket.socket,
    first: bytes,
    size: int,
    digest: str,
    store: BlobStore,
    splice: bool,
    ledger: UploadLedger = UNACCOUNTED,
) -> None:
    """Store the ``size`` body bytes (``first`` already read) as blob ``digest`` (reserved in
    the uploader's ``ledger`` by their upload plan)."""
    if splice and size > len(first) and (sink := store.open_splice_upload(digest)) is not None:
        _splice_into(connection, first, size, sink)
        return
    upload = SingleUpload(store, digest, size, ledger)
    try:
        _receive_into(connection, first, size, upload)
        upload.finish()
    except BaseException:
        upload.abort()
        raise


def _splice_into(connection: socket.socket, first: bytes, size: int, writer: SpliceSink) -> None:
    """The kernel moves the body from the socket to the blob's temp
    file while a second thread hashes what was written; renamed into place once verified."""
    splicer = SocketSplicer(connection, writer.fd, size - len(first))
    try:
        writer.write(first)
        writer.append_moved(lambda: splicer.step(LARGE_CHUNK_BYTES))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        splicer.close()


def _receive_into(connection: socket.socket, first: bytes, size: int, upload: SingleUpload) -> None:
    """Read ``size`` body bytes (``first`` already read) and feed them to ``upload``, a
    piece being stored on a worker thread while the next is received."""
    worker: BatchWorker[memoryview] = BatchWorker(upload.feed, queued=1, name="archivist-blob-store")
    pieces = [memoryview(bytearray(PIECE_BYTES)) for _ in range(PIECES_HELD)]
    try:
        if first:
            worker.put(memoryview(first[:size]))
        remaining = size - min(len(first), size)
        turn = 0
        while remaining:
            if (error := worker.failure) is not None:
                raise error
            piece = pieces[turn % PIECES_HELD][: min(PIECE_BYTES, remaining)]
            filled = _fill(connection, piece)
            remaining -= filled
            worker.put(piece[:filled])
            turn += 1
    except BaseException:
        worker.cancel()
        raise
    worker.finish()


def _fill(connection: socket.socket, piece: memoryview) -> int:
    filled = 0
    while filled < len(piece):
        count = connection.recv_into(piece[filled:])
        if count == 0:
            raise ConnectionError("the client closed the connection before the whole body arrived")
        filled += count
    return filled
