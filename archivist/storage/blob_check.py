"""Checking stored blobs against what the versions naming them say (``archivist fsck``).

``check_blobs(store, expected)`` reads every blob of ``expected`` (digest -> size) and
reports each that is missing, whose bytes do not hash to its digest, or that a manifest
gives another size. On a folder store it also checks the pack index: every row must
point inside a pack file that exists (a row of a pack cut short or gone is a fault,
referenced or not). Packed blobs are read pack by pack in offset order, loose ones
mapped and hashed on all cores; an object store is listed once and each blob streamed.

``remove_faulty`` is the repair: it removes what is damaged (the pack-index rows, the
loose files, the objects), so that the next upload of those bytes stores them anew.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import blake3

from archivist.core.errors import BlobNotFoundError, DamagedBlobError
from archivist.core.progress import Progress
from archivist.storage import packs, whole_blobs
from archivist.storage.base import BlobStore
from archivist.storage.local import LocalBlobStore
from archivist.storage.object_store import ObjectBlobStore

READ_BYTES = 4 << 20

MISSING = "missing"
DAMAGED = "damaged"
"""The blob's bytes do not hash to its digest (or a pack ends before them): repair removes it."""
WRONG_SIZE = "wrong size"
"""The blob is whole, but a version's manifest gives it another size: the version is wrong."""
BAD_PACK_ENTRY = "bad pack-index entry"
"""An index row no version names points past the end of its pack, or into a pack that is gone."""


@dataclass(frozen=True)
class BlobFault:
    digest: str
    kind: str
    detail: str


def check_blobs(store: BlobStore, expected: Mapping[str, int], advance: Progress) -> list[BlobFault]:
    """The faults of the blobs of ``expected`` (digest -> size the versions give), and of a
    folder store's pack index; ``advance`` gets the bytes checked as they are."""
    if isinstance(store, LocalBlobStore):
        return _check_folder(store, expected, advance)
    if isinstance(store, ObjectBlobStore):
        present = {digest for digest, _size in store.blob_sizes() if digest in expected}
    else:
        present = set(expected) - store.missing(list(expected))
    faults = [BlobFault(digest, MISSING, "not in the store") for digest in expected if digest not in present]
    for digest in sorted(present):
        faults.extend(_stream_faults(store, digest, expected[digest], advance))
    return faults


def remove_faulty(store: BlobStore, digests: Iterable[str]) -> None:
    """Remove the stored copies of ``digests`` (absent ones are ignored)."""
    wanted = sorted(set(digests))
    if isinstance(store, LocalBlobStore):
        whole_blobs.drop_packed(store, wanted)
        for digest in wanted:
            whole_blobs.remove_loose(store, digest)
        return
    for digest in wanted:
        store.delete(digest)


def _check_folder(store: LocalBlobStore, expected: Mapping[str, int], advance: Progress) -> list[BlobFault]:
    bad = _bad_pack_entries(store)
    faults = [
        BlobFault(digest, DAMAGED if digest in expected else BAD_PACK_ENTRY, why)
        for digest, why in bad.items()
    ]
    located = {
        digest: where for digest, where in store.index.locate(list(expected)).items() if digest not in bad
    }
    gone: list[str] = []
    for digest, data in packs.read_packed(store.packs_dir, located.items(), gone):
        faults.extend(_content_faults(digest, blake3.blake3(data).hexdigest(), len(data), expected[digest]))
        advance(len(data))
    loose = [digest for digest in expected if digest not in located and digest not in bad] + gone
    sizes = store.loose_sizes(loose)
    for digest in loose:
        if digest not in sizes:
            faults.append(BlobFault(digest, MISSING, "not in the store"))
            continue
        hasher = blake3.blake3(max_threads=blake3.blake3.AUTO)
        if sizes[digest]:
            hasher.update_mmap(store.checked_blob_path(digest))
        faults.extend(_content_faults(digest, hasher.hexdigest(), sizes[digest], expected[digest]))
        advance(sizes[digest])
    return faults


def _bad_pack_entries(store: LocalBlobStore) -> dict[str, str]:
    """Digest -> why, for every index row whose pack file is gone or ends before the blob."""
    lengths: dict[str, int] = {}
    bad: dict[str, str] = {}
    for digest, where in store.index.iter_rows():
        if where.pack not in lengths:
            try:
                lengths[where.pack] = os.stat(packs.pack_path(store.packs_dir, where.pack)).st_size
            except FileNotFoundError:
                lengths[where.pack] = -1
        length = lengths[where.pack]
        end = where.offset + where.size
        if length < 0:
            bad[digest] = f"its pack {where.pack} is gone"
        elif end > length:
            bad[digest] = (
                f"its bytes {where.offset}-{end} lie past the end of pack {where.pack} ({length} bytes)"
            )
    return bad


def _content_faults(digest: str, actual: str, size: int, expected_size: int) -> list[BlobFault]:
    if actual != digest:
        return [BlobFault(digest, DAMAGED, f"its {size} bytes hash to blake3 {actual}")]
    if size != expected_size:
        return [BlobFault(digest, WRONG_SIZE, f"it holds {size} bytes, a manifest says {expected_size}")]
    return []


def _stream_faults(store: BlobStore, digest: str, expected_size: int, advance: Progress) -> list[BlobFault]:
    hasher = blake3.blake3()
    size = 0
    try:
        with store.open(digest) as reader:
            while chunk := reader.read(READ_BYTES):
                hasher.update(chunk)
                size += len(chunk)
                advance(len(chunk))
    except BlobNotFoundError:
        return [BlobFault(digest, MISSING, "not in the store")]
    except DamagedBlobError as error:
        return [BlobFault(digest, DAMAGED, error.message)]
    return _content_faults(digest, hasher.hexdigest(), size, expected_size)
