"""Blob bytes from the server to a client: one blob (``GET /blobs/{digest}``) or many
in one framed stream (``POST /blobs/download``, ``archivist.wire.blob_frames``).

A batch is checked before its answer starts, so an absent blob is a 404, not a
broken stream: with a folder store, the pack index answers for the packed blobs
(one query per 500 digests) and a ``stat`` for each loose one. The frames then
come in the order the store reads best -- packed blobs pack by pack in offset
order (large sequential ``pread``\\ s), then loose blobs -- not in the order asked:
each frame names its blob, and the client takes each asked blob once, in any order.

Bytes are yielded in chunks of about ``CHUNK_BYTES`` (many small blobs coalesced),
so each step of the response costs one thread hop, not one per small file. The
server does not hash what it sends: the store verified every blob when it was
written, and the client verifies what it receives.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from archivist.core.errors import BlobNotFoundError
from archivist.storage import copying
from archivist.storage.base import BlobStore
from archivist.storage.local import LocalBlobStore
from archivist.storage.pack_index import Location
from archivist.wire.blob_frames import encode_header

CHUNK_BYTES = 1 << 20
"""Frames of small blobs are coalesced into chunks of about this size."""
BLOB_CHUNK_BYTES = 4 << 20
"""A single large blob is read and sent in chunks of this size."""
SPOOL_IN_MEMORY_BYTES = 4 << 20
SHOWN_MISSING = 3


def open_blob(store: BlobStore, digest: str) -> tuple[BinaryIO, int]:
    """A reader of the blob and its size; ``BlobNotFoundError`` when absent."""
    if isinstance(store, LocalBlobStore):
        try:
            handle = open(store.blob_path(digest), "rb", buffering=0)  # noqa: SIM115
        except FileNotFoundError:
            return _sized(store.open(digest))  # packed (bytes in memory), or absent
        return handle, os.fstat(handle.fileno()).st_size
    return _sized(store.open(digest))


def _sized(reader: BinaryIO) -> tuple[BinaryIO, int]:
    """``reader`` with its size; a reader that does not know it is spooled to learn it."""
    if isinstance(reader, io.BytesIO):
        return reader, reader.getbuffer().nbytes
    size = getattr(reader, "size", None)
    if isinstance(size, int):
        return reader, size
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    with reader:
        while chunk := reader.read(CHUNK_BYTES):
            spool.write(chunk)
    size = spool.tell()
    spool.seek(0)
    return spool, size  # type: ignore[return-value]


def blob_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """The bytes of an open blob in chunks of ``BLOB_CHUNK_BYTES``; closes it at the end."""
    with handle:
        while chunk := handle.read(BLOB_CHUNK_BYTES):
            yield chunk


def framed_blobs(store: BlobStore, digests: Sequence[str]) -> Iterator[bytes]:
    """The framed stream of ``digests`` (validated), each once. Checks first that the
    store holds them all (``BlobNotFoundError`` naming some that it lacks)."""
    wanted = list(dict.fromkeys(digests))
    if isinstance(store, LocalBlobStore):
        located = store.index.locate(wanted)
        loose = [digest for digest in wanted if digest not in located]
        _require(loose, [digest for digest in loose if not _is_file(store.blob_path(digest))])
        return _folder_frames(store, located, loose)
    _require(wanted, sorted(store.missing(wanted)))
    return _frames_one_by_one(store, wanted)


def _is_file(path: str) -> bool:
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    return True


def _require(asked: Sequence[str], absent: Sequence[str]) -> None:
    if absent:
        shown = ", ".join(absent[:SHOWN_MISSING])
        raise BlobNotFoundError(
            f"{len(absent)} of the {len(asked)} blob(s) asked are not in the store: {shown}"
        )


def _folder_frames(store: LocalBlobStore, located: dict[str, Location], loose: list[str]) -> Iterator[bytes]:
    pending = bytearray()
    for digest, data in copying.packed_bytes(store, located):
        if data is None:  # no longer packed (compacted away meanwhile): maybe loose now
            loose.append(digest)
            continue
        pending += encode_header(digest, len(data))
        pending += data
        if len(pending) >= CHUNK_BYTES:
            yield bytes(pending)
            pending.clear()
    for digest in loose:
        handle, size = open_blob(store, digest)
        yield from _append_blob(pending, digest, handle, size)
    if pending:
        yield bytes(pending)


def _frames_one_by_one(store: BlobStore, digests: Sequence[str]) -> Iterator[bytes]:
    pending = bytearray()
    for digest in digests:
        handle, size = open_blob(store, digest)
        yield from _append_blob(pending, digest, handle, size)
    if pending:
        yield bytes(pending)


def _append_blob(pending: bytearray, digest: str, handle: BinaryIO, size: int) -> Iterator[bytes]:
    """Add a frame to ``pending``, yielding (and clearing) it whenever it reaches ``CHUNK_BYTES``."""
    with handle:
        pending += encode_header(digest, size)
        while chunk := handle.read(CHUNK_BYTES):
            pending += chunk
            if len(pending) >= CHUNK_BYTES:
                yield bytes(pending)
                pending.clear()
