"""Packing blobs in the background while their files are still being hashed.

On the embedded store, ``add_dir`` reads each small file once to hash it. Instead
of keeping those bytes until the save packs them, it hands them, a chunk at a
time, to a ``PackSink``: a thread that appends them to a new pack while the
caller goes on hashing, then syncs and indexes the pack (``PackWriter``: bytes
on disk before any index row names them). Writing and syncing are kernel work
that runs beside the hashing; the save then finds the blobs stored already.

Blobs packed this way belong to no version until one is committed; like any
unreferenced blob they are collected by garbage collection after its grace period
(a draft that is never logged). A process killed before the sink finished leaves a
pack without index rows, which ``cleanup_temp`` removes.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from archivist.storage.batches import ignore_progress
from archivist.storage.packs import PackWriter

if TYPE_CHECKING:
    from archivist.storage.local import LocalBlobStore

logger = logging.getLogger(__name__)
QUEUED_CHUNKS = 8
"""Chunks waiting to be written at most (the caller makes chunks of a few MB)."""


class PackSink:
    """Packs ``(digest, bytes)`` chunks on a thread of its own; ``close`` then ``wait``."""

    def __init__(self, store: LocalBlobStore) -> None:
        self._store = store
        # Bounded: a producer faster than the disk waits instead of piling bytes up in memory.
        self._chunks: queue.Queue[list[tuple[str, bytes]] | None] = queue.Queue(maxsize=QUEUED_CHUNKS)
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="archivist-pack-sink", daemon=True)
        self._thread.start()

    def add_many(self, blobs: Sequence[tuple[str, bytes]]) -> None:
        """Queue bytes already checked against their digests (small enough to pack)."""
        if blobs:
            self._chunks.put(list(blobs))

    def close(self) -> None:
        """No more chunks: the thread syncs and indexes the pack, then ends."""
        if not self._closed:
            self._closed = True
            self._chunks.put(None)

    def wait(self) -> None:
        """Block until every chunk is stored durably; raises what made the sink fail."""
        self.close()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        store = self._store
        writer = PackWriter(store.packs_dir, store.index, max_bytes=store.pack_max_bytes)
        try:
            while (chunk := self._chunks.get()) is not None:
                held = store.index.sizes([digest for digest, _data in chunk])
                new = [(digest, data) for digest, data in chunk if digest not in held] if held else chunk
                writer.add_many(new, ignore_progress)
            writer.finish()
        except BaseException as error:  # handed to whoever waits; the save then stores the files
            writer.abort()
            self._error = error
            logger.debug("packing in the background failed: %s", error)
            while self._chunks.get() is not None:  # drain, so that the producer never blocks on a full queue
                pass
