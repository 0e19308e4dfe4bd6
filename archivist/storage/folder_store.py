"""What the folder store's helper modules use of it, as a protocol.

``copying``, ``whole_blobs``, ``batch_writes`` and ``store_sink`` work on a
``LocalBlobStore`` (``storage/local.py``), which imports them; they type their
``store`` argument with ``FolderStore`` so that none of them imports ``local``
back (no import cycle inside ``storage/``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from archivist.storage.pack_index import PackIndex
from archivist.storage.packs import PackWriter
from archivist.storage.space import SpaceGuard


class FolderStore(Protocol):
    root: str
    label: str
    space: SpaceGuard
    pack_max_bytes: int
    pack_blob_max_bytes: int
    """Blobs up to this size go into packs; -1 when small blobs are not packed."""
    durable: bool
    temp_dir: str
    packs_dir: str
    index: PackIndex

    def blob_path(self, digest: str) -> str: ...

    def checked_blob_path(self, digest: str) -> str: ...

    def missing(self, digests: Iterable[str], sizes: Mapping[str, int] | None = None) -> set[str]: ...

    def loose_sizes(self, unpacked: Sequence[str]) -> dict[str, int]: ...

    def put_file(self, digest: str, path: str) -> int: ...


def pack_writer(store: FolderStore) -> PackWriter:
    """A writer of new packs for ``store``, with its pack size and durability."""
    return PackWriter(store.packs_dir, store.index, max_bytes=store.pack_max_bytes, durable=store.durable)
