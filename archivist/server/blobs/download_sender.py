"""Blob bytes from the server to a client: one blob (``GET /blobs/{digest}``) or many
in one framed stream (``POST /blobs/download``, ``archivist.wire.blob_frames``).

The store reads (``BlobStore.open_sized`` and ``read_many``): a batch is checked before
its answer starts, so an absent blob is a 404, not a broken stream, and its blobs come in
the order the store reads best, not in the order asked: each frame names its blob, and
the client takes each asked blob once, in any order.

Frames are yielded in chunks of about a MiB (``FrameCollector``: many small blobs
coalesced), so each step of the response costs one thread hop, not one per small file. The
server does not hash what it sends: the store verified every blob when it was
written, and the client verifies what it receives.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import BinaryIO

from archivist.storage.base import BlobRead, BlobStore
from archivist.wire.blob_frames import FrameCollector

BLOB_CHUNK_BYTES = 4 << 20
"""A single large blob is read and sent in chunks of this size."""


def open_blob(store: BlobStore, digest: str) -> tuple[BinaryIO, int]:
    """A reader of the blob and its size; ``BlobNotFoundError`` when absent."""
    return store.open_sized(digest)


def blob_chunks(handle: BinaryIO) -> Iterator[bytes]:
    """The bytes of an open blob in chunks of ``BLOB_CHUNK_BYTES``; closes it at the end."""
    with handle:
        while chunk := handle.read(BLOB_CHUNK_BYTES):
            yield chunk


def framed_blobs(store: BlobStore, digests: Sequence[str]) -> Iterator[bytes]:
    """The framed stream of ``digests`` (validated), each once. Checks first that the
    store holds them all (``BlobNotFoundError`` naming some that it lacks)."""
    return _framed(store.read_many(digests))


def _framed(blobs: Iterator[BlobRead]) -> Iterator[bytes]:
    collector = FrameCollector()
    for blob in blobs:
        yield from collector.add(blob.digest, blob.size, blob.chunks)
    yield from collector.flush()
