"""Many loose blobs written durably as one batch.

Syncing a file waits for the disk, once per file. A store that packs small blobs writes
few loose ones per batch: each is synced before it is renamed into place, and each
folder that gained one is synced once at the end (``finish``). A store that keeps every
blob loose (the opt-in for link-mode downloads) writes thousands, and syncing them one
by one (even from many threads) costs several times one ``syncfs`` of the whole
filesystem (figures: benchmarks/PROFILE.md). So from ``SYNCFS_FROM_FILES`` blobs on (on Linux)
the rest of the batch is written to temp files unsynced, and ``finish`` syncs the
filesystem, renames them into place and syncs it again. The price: a ``syncfs`` also
waits for whatever else is being written to that filesystem.

Non-durable batches (a cache) write each blob on the caller's thread, as before.
"""

from __future__ import annotations

import contextlib
import os

from archivist.storage import syncing
from archivist.storage.loose import place_temp, store_whole, write_temp
from archivist.storage.syncing import FolderSyncs

SYNCFS_FROM_FILES = 64
"""A batch syncs its filesystem once, instead of each file, from this many loose blobs on."""


class LooseBatch:
    """``add`` verified blobs, then ``finish`` (every blob durable) or ``abort``."""

    def __init__(self, temp_dir: str, durable: bool = True) -> None:
        self.temp_dir = temp_dir
        self.durable = durable
        self._folders = FolderSyncs(durable)
        self._count = 0
        self._unsynced: list[tuple[str, str]] = []
        """``(temp path, final path)`` of blobs written to be synced by ``syncfs`` at the end."""

    def add(self, digest: str, data: bytes, final_path: str) -> None:
        """Store ``data`` (already checked against ``digest``) as the loose blob at ``final_path``."""
        self._count += 1
        if self.durable and syncing.CAN_SYNC_FILESYSTEMS and self._count >= SYNCFS_FROM_FILES:
            self._unsynced.append((write_temp(data, self.temp_dir, digest, durable=False), final_path))
            return
        self._folders.add([store_whole(data, final_path, self.temp_dir, digest, self.durable, False)])

    def finish(self) -> None:
        """Make every blob of the batch durable and in place, then sync the folders that gained one."""
        if self._unsynced:
            syncing.sync_filesystem(self.temp_dir)  # the bytes, before any name points at them
            unsynced, self._unsynced = self._unsynced, []
            try:
                while unsynced:
                    temp_path, final_path = unsynced.pop()
                    place_temp(temp_path, final_path, durable=True)
            finally:
                _remove([temp for temp, _final in unsynced])
                syncing.sync_filesystem(self.temp_dir)  # the names (of those placed, on a failure)
        self._folders.sync()

    def abort(self) -> None:
        """Drop the blobs not in place yet. Those placed are whole and stay (a later write finds
        them held), so their folders are synced still; a failure to do so is not raised over
        the error that made the batch abort."""
        _remove([temp for temp, _final in self._unsynced])
        self._unsynced = []
        with contextlib.suppress(OSError):
            self._folders.sync()


def _remove(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
