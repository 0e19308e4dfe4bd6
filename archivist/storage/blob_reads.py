"""Reading blobs for a server's downloads: one with its size (``open_sized``), many in
the order the store reads best (``read_many``).

A batch is checked before any byte is read, so that an absent blob fails the request
instead of breaking its stream: with a folder store, the pack index answers for the
packed blobs (one query per 500 digests) and a ``stat`` for each loose one. Packed blobs
then come pack by pack in offset order (large sequential ``pread``\\ s), loose blobs last.
Nothing is hashed here: the store verified every blob when it was written, and the
client verifies what it receives.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, BinaryIO

from archivist.core.errors import BlobNotFoundError
from archivist.storage import copying
from archivist.storage.base import BlobRead, BlobStore
from archivist.storage.pack_index import Location

if TYPE_CHECKING:
    from archivist.storage.local import LocalBlobStore

READ_CHUNK_BYTES = 1 << 20
"""Loose and streamed blobs are read in chunks of this size."""
SPOOL_IN_MEMORY_BYTES = 4 << 20
SHOWN_MISSING = 3


def require_held(asked: Sequence[str], absent: Sequence[str]) -> None:
    """``BlobNotFoundError`` naming a few of the ``absent`` blobs, if there are any."""
    if absent:
        shown = ", ".join(absent[:SHOWN_MISSING])
        raise BlobNotFoundError(
            f"{len(absent)} of the {len(asked)} blob(s) asked are not in the store: {shown}"
        )


def open_sized_local(store: LocalBlobStore, digest: str) -> tuple[BinaryIO, int]:
    """A loose blob's file opened unbuffered, or a packed blob's bytes in memory."""
    try:
        handle = open(store.blob_path(digest), "rb", buffering=0)  # noqa: SIM115 (returned)
    except FileNotFoundError:
        return sized(store.open(digest))  # packed (bytes in memory), or absent
    return handle, os.fstat(handle.fileno()).st_size


def sized(reader: BinaryIO) -> tuple[BinaryIO, int]:
    """``reader`` with its size; a reader that does not know it is spooled to learn it."""
    if isinstance(reader, io.BytesIO):
        return reader, reader.getbuffer().nbytes
    size = getattr(reader, "size", None)
    if isinstance(size, int):
        return reader, size
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115 (returned)
    with reader:
        while chunk := reader.read(READ_CHUNK_BYTES):
            spool.write(chunk)
    size = spool.tell()
    spool.seek(0)
    return spool, size  # type: ignore[return-value]


def read_many_local(store: LocalBlobStore, digests: Sequence[str]) -> Iterator[BlobRead]:
    wanted = list(dict.fromkeys(digests))
    located = store.index.locate(wanted)
    loose = [digest for digest in wanted if digest not in located]
    require_held(loose, [digest for digest in loose if not _is_file(store.blob_path(digest))])
    return _local_reads(store, located, loose)


def _local_reads(
    store: LocalBlobStore, located: Mapping[str, Location], loose: list[str]
) -> Iterator[BlobRead]:
    for digest, data in copying.packed_bytes(store, located):
        if data is None:  # no longer packed (compacted away meanwhile): maybe loose now
            loose.append(digest)
            continue
        yield BlobRead(digest, len(data), iter((data,)))
    for digest in loose:
        yield _streamed(digest, *open_sized_local(store, digest))


def read_many_one_by_one(store: BlobStore, digests: Sequence[str]) -> Iterator[BlobRead]:
    """``read_many`` for a store without a better order: presence checked in one call."""
    wanted = list(dict.fromkeys(digests))
    require_held(wanted, sorted(store.missing(wanted)))
    return (_streamed(digest, *store.open_sized(digest)) for digest in wanted)


def _streamed(digest: str, handle: BinaryIO, size: int) -> BlobRead:
    return BlobRead(digest, size, _chunks(handle))


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(READ_CHUNK_BYTES):
            yield chunk


def _is_file(path: str) -> bool:
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    return True
