"""Which blobs a folder store holds whole: a blob found there is not trusted on sight.

A stored blob can be damaged: a power cut before commits were durable left blob files
empty or short, and a disk fault or a hand-edited store may do anything. Whenever a
write finds the blob it would store already there, it checks what it can cheaply:

- a loose blob file of 0 bytes, when the digest is not the empty blob's, is certainly
  damaged: it is removed at once, and the blob is stored anew;
- a loose blob file of another size than the caller's bytes (or file) is *suspect*: it
  is not counted as held, so the blob is written again, verified against its digest, and
  the new copy replaces the file (renamed over it, or, when it went into a pack, the
  file is removed). If the caller's file no longer hashes to the digest, the suspect
  file stays as it was;
- a packed blob whose pack file is gone, or ends before the blob does, is certainly
  damaged: its index row is dropped (``drop_packed``), and the blob is stored anew. A
  pack row's size is the verified size of what was packed: there is nothing else to
  compare it with.

``LocalBlobStore.missing`` applies the rules for loose files with the sizes its caller
knows (packs are synced before any row names them). Checking contents, by hashing every
byte, is the work of downloads and of ``archivist fsck``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence

from archivist.core.manifest import EMPTY_BLOB_DIGEST
from archivist.storage import packs
from archivist.storage.folder_store import FolderStore

ExpectedSize = Callable[[str], "int | None"]
"""The size a blob truly has, as its caller knows it (None: not known)."""


def certainly_damaged(digest: str, size: int) -> bool:
    """Whether a stored blob of ``size`` bytes cannot hold blob ``digest``: only the empty blob
    has 0 bytes."""
    return size == 0 and digest != EMPTY_BLOB_DIGEST


def packed_whole(store: FolderStore, digests: Sequence[str]) -> dict[str, int]:
    """The size of each packed blob among ``digests`` whose pack holds its bytes; the rows of
    those whose pack is gone or too short are dropped (one ``stat`` per pack)."""
    located = store.index.locate(digests)
    if not located:
        return {}
    pack_sizes: dict[str, int] = {}
    whole: dict[str, int] = {}
    broken: list[str] = []
    for digest, where in located.items():
        length = pack_sizes.get(where.pack)
        if length is None:
            length = pack_sizes[where.pack] = _size_or_minus_one(packs.pack_path(store.packs_dir, where.pack))
        if where.offset + where.size <= length:
            whole[digest] = where.size
        else:
            broken.append(digest)
    if broken:
        drop_packed(store, broken)
    return whole


def loose_whole(
    store: FolderStore, digests: Sequence[str], expected: ExpectedSize
) -> tuple[dict[str, int], set[str]]:
    """``(sizes, suspects)``: the size of each loose blob among ``digests`` that looks whole,
    and the digests whose file has another size than ``expected`` gives. Files certainly
    damaged are removed."""
    whole: dict[str, int] = {}
    suspects: set[str] = set()
    for digest, size in store.loose_sizes(digests).items():
        if certainly_damaged(digest, size):
            remove_loose(store, digest)
            continue
        want = expected(digest)
        if want is None or want == size:
            whole[digest] = size
        else:
            suspects.add(digest)
    return whole, suspects


def held_whole(
    store: FolderStore, digests: Sequence[str], expected: ExpectedSize
) -> tuple[dict[str, int], set[str]]:
    """``packed_whole`` of ``digests``, then ``loose_whole`` of the rest."""
    held = packed_whole(store, digests)
    loose, suspects = loose_whole(store, [digest for digest in digests if digest not in held], expected)
    held.update(loose)
    return held, suspects


def drop_packed(store: FolderStore, digests: Sequence[str]) -> None:
    """Drop the index rows of packed blobs (a pack left without rows is unlinked)."""
    packs.unlink_packs(store.packs_dir, store.index.delete(digests))


def remove_loose(store: FolderStore, digest: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(store.checked_blob_path(digest))


def _size_or_minus_one(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return -1
