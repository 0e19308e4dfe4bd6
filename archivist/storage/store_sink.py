"""Storing blobs in the background while their files are still being hashed.

On the embedded store, ``add_dir`` reads each small file once to hash it. Instead
of keeping those bytes until the save stores them, it hands them, a chunk at a
time, to a ``StoreSink``: a thread (``BatchWorker``) that stores them while the
caller goes on hashing; the save then finds them stored. Writing, syncing and
creating files are kernel work that runs beside the hashing.

The sink keeps to the store's own rules: blobs up to its pack limit are appended
to one new pack, synced and indexed at the end (``PackWriter``: bytes on disk
before any index row names them); larger ones, and all of them in a store that
keeps blobs loose (the opt-in for link-mode downloads), become files of their own
(written to a temp file, synced and renamed into place from a few threads, their
folders synced at the end: ``LooseBatch``). Blobs the store holds are skipped.

Blobs stored this way belong to no version until one is committed; like any
unreferenced blob they are collected by garbage collection after its grace period
(a draft that is never logged). A process killed before the sink finished leaves a
pack without index rows, or temp files, which ``cleanup_temp`` removes.
"""

from __future__ import annotations

from collections.abc import Sequence

from archivist.storage import whole_blobs
from archivist.storage.batches import ignore_progress
from archivist.storage.folder_store import FolderStore, pack_writer
from archivist.storage.loose_batch import LooseBatch
from archivist.storage.space import no_space_as
from archivist.wire.background_batches import BatchWorker

QUEUED_CHUNKS = 8
"""Chunks waiting to be stored at most (the caller makes chunks of a few MB)."""

Chunk = list[tuple[str, bytes]]
Batch = tuple[Chunk, list[tuple[str, int]]]
"""Blobs to store, and ``(digest, size)`` of blobs whose bytes the caller does not give
(to check for)."""


class StoreSink:
    """Stores ``(digest, bytes)`` chunks on a thread of its own; ``close`` then ``wait``."""

    def __init__(self, store: FolderStore) -> None:
        self._store = store
        self._pack = pack_writer(store)
        self._loose = LooseBatch(store.temp_dir, store.durable)
        self._covered: set[str] = set()  # stored, or found held: written by the worker thread only
        self._worker: BatchWorker[Batch] = BatchWorker(
            self._handle,
            queued=QUEUED_CHUNKS,
            name="archivist-store-sink",
            done=self._finish,
            failed=self._abort,
        )

    def add_many(self, blobs: Sequence[tuple[str, bytes]]) -> None:
        """Queue bytes already checked against their digests."""
        if blobs:
            self._worker.put((list(blobs), []))

    def expect(self, blobs: Sequence[tuple[str, int]]) -> None:
        """``(digest, size)`` of files whose bytes are not given (their digests were known
        without reading them): the thread checks, beside the caller, which ones the store
        holds whole."""
        if blobs:
            self._worker.put(([], list(blobs)))

    def close(self) -> None:
        """No more chunks: the thread stores what is queued, syncs and indexes the pack, then ends."""
        self._worker.close()

    def wait(self) -> set[str]:
        """Block until every chunk is stored durably; raises what made the sink fail. Returns
        the digests the store holds for sure: those stored, and those expected that it held."""
        self._worker.finish()
        return self._covered

    def _finish(self) -> None:
        with no_space_as(self._store.label):
            self._loose.finish()
            self._pack.finish()

    def _abort(self, _error: BaseException) -> None:
        self._loose.abort()
        self._pack.abort()

    def _handle(self, batch: Batch) -> None:
        with no_space_as(self._store.label):
            self._handle_batch(batch)

    def _handle_batch(self, batch: Batch) -> None:
        chunk, expected = batch
        if chunk:
            self._store_chunk(chunk)
            self._covered.update(digest for digest, _data in chunk)
        if expected:
            sizes = dict(expected)
            self._covered.update(set(sizes).difference(self._store.missing(list(sizes), sizes)))

    def _store_chunk(self, chunk: Chunk) -> None:
        store, limit = self._store, self._store.pack_blob_max_bytes
        packed = whole_blobs.packed_whole(store, [digest for digest, _data in chunk]) if limit > 0 else {}
        small: Chunk = []
        large: dict[str, bytes] = {}
        for digest, data in chunk:
            if digest in packed:
                continue
            if len(data) <= limit:
                small.append((digest, data))
            else:
                large[digest] = data
        held, _suspects = whole_blobs.loose_whole(store, list(large), lambda digest: len(large[digest]))
        new_large = {digest: data for digest, data in large.items() if digest not in held}
        store.space.check(sum(len(data) for _digest, data in small) + sum(map(len, new_large.values())))
        for digest, data in new_large.items():  # renamed over a damaged file, if any
            self._loose.add(digest, data, store.checked_blob_path(digest))
        self._pack.add_many(small, ignore_progress)
