"""Fetching stored blobs from a remote store (a server) to a download's destinations.

Each blob is fetched once, however many entries hold it: from the client cache when the
cache has it (packed or as a file), else from the backend. Every byte that arrives is
checked against its digest, from the bytes themselves as they arrive -- never by reading a
written file back:

- Small blobs (up to ``PREFETCH_MAX_BYTES``) come in batches (``fetch_blobs``: framed
  requests, several at once) and are handed over in memory, from the transfer threads: each
  is hashed, then written to its destinations (new files). With the cache on, in copy mode
  those up to the cache's ``packed_max_bytes`` are kept packed (``BlobCache.add_many``, a pack per
  ``KEEP_BATCH_BYTES``: no file of their own); the others, and every blob in link mode, are
  written to a read-only file in the cache's temp folder that the cache then adopts. Link
  mode links the destinations to that cached file instead of writing them.
- Larger blobs stream one by one (``download_to``) into the cache's temp file and, in copy
  mode, the first destination at the same time, hashed on the way; a blob whose hash does
  not match is removed from every place it was written and ``IntegrityError`` raised. In
  copy mode, blobs of ``UNCACHED_COPY_MIN_BYTES`` or more go to their destinations only.

Every destination is absent when this runs (``download_entries`` removed stale files); one
that another process creates meanwhile is replaced atomically (``placing.place_at``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from archivist.client.transfer.placing import place_at, write_new
from archivist.core.blob_cache import CACHED_BLOB_MODE, BlobCache
from archivist.core.errors import IntegrityError
from archivist.core.manifest import Entry, hash_bytes
from archivist.core.progress import Progress
from archivist.wire.background_batches import BatchWorker
from archivist.wire.new_files import remove_quietly, temp_beside

PREFETCH_MAX_BYTES = 4 << 20
"""Blobs up to this size are fetched in batches, in memory; larger ones stream one by one."""
KEEP_BATCH_BYTES = 32 << 20
"""Small blobs received in copy mode go into the cache in packs of about this size."""
UNCACHED_COPY_MIN_BYTES = 64 << 20
"""In copy mode, blobs this large are written to their destinations only, not kept in the
client cache as well: the destination is the copy the user wanted, and a second one would
double the bytes written (and the disk used). Link mode keeps them (the links are the cache's file)."""
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)

Advance = Progress


class RemoteBlobs(Protocol):
    """What a server's transfer offers so that downloads write each byte once
    (``HttpBlobTransfer``)."""

    def fetch_blobs(self, digests: Sequence[str], receive: Callable[[str, bytes], None]) -> None:
        """Hand each blob's bytes to ``receive(digest, data)``, in any order, maybe from
        several threads at once (unverified: ``receive`` checks them)."""
        ...

    def download_to(self, digest: str, paths: Sequence[str], progress: Progress | None = None) -> str:
        """Write the blob to each of ``paths`` (new files) and return the BLAKE3 of the bytes
        written; on failure the files are removed."""
        ...


def fetch_remote(
    remote: RemoteBlobs,
    cache: BlobCache | None,
    entries: Sequence[Entry],
    dests: Mapping[str, str],
    link: bool,
    advance: Advance,
) -> None:
    """Put each stored entry's blob at ``dests[entry.path]``, through ``cache`` unless it is
    None; ``advance`` counts the bytes."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.digest, []).append(entry)
    placer = _Placer(cache, groups, dests, link, advance)
    missing = list(groups) if cache is None else _from_cache(cache, placer, groups, dests, link, advance)
    small = [digest for digest in missing if groups[digest][0].size <= PREFETCH_MAX_BYTES]
    try:
        if small:
            remote.fetch_blobs(small, placer.receive)
        if placer.keeper is not None:
            placer.keeper.finish()
    finally:
        if placer.keeper is not None:
            placer.keeper.close()
    for digest in missing:
        if groups[digest][0].size > PREFETCH_MAX_BYTES:
            placer.download(remote, digest)


def _from_cache(
    cache: BlobCache,
    placer: _Placer,
    groups: Mapping[str, list[Entry]],
    dests: Mapping[str, str],
    link: bool,
    advance: Advance,
) -> list[str]:
    """Place the blobs the cache holds (packed ones first); returns the digests it does not."""
    wanted = {digest: group[0].size for digest, group in groups.items()}
    for digest, data in cache.packed(wanted):
        placer.place(digest, data, cached=True)
        del wanted[digest]
    missing: list[str] = []
    for digest in wanted:
        cached = cache.get(digest, wanted[digest])
        if cached is None or not _place_cached(cached, groups[digest], dests, link, advance):
            missing.append(digest)
    return missing


def _place_cached(
    cached: str, group: Sequence[Entry], dests: Mapping[str, str], link: bool, advance: Advance
) -> bool:
    """Place a cached blob at its destinations; False if another process evicted it meanwhile."""
    for entry in group:
        try:
            place_at(cached, dests[entry.path], link)
        except FileNotFoundError:
            return False
        advance(entry.size)
    return True


class _Placer:
    """Checks arriving blobs and puts them at their destinations and in the cache: in copy
    mode, small blobs are kept packed (``_Keeper``); in link mode, and for larger blobs,
    each is a read-only file the cache adopts."""

    def __init__(
        self,
        cache: BlobCache | None,
        groups: Mapping[str, list[Entry]],
        dests: Mapping[str, str],
        link: bool,
        advance: Advance,
    ) -> None:
        self.cache, self.groups, self.dests, self.advance = cache, groups, dests, advance
        self.link = link and cache is not None  # links are made to the cached, read-only file
        self.keeper = _Keeper(cache) if cache is not None and not self.link else None

    def receive(self, digest: str, data: bytes) -> None:
        """One small blob's bytes, in memory (called from several threads at once)."""
        _check(self.groups[digest][0], hash_bytes(data))
        self.place(digest, data, cached=False)

    def place(self, digest: str, data: bytes, cached: bool) -> None:
        """Write a verified blob to its destinations; keep it in the cache unless it came
        from there (``cached``) packed, or in link mode as the file the links share."""
        group = self.groups[digest]
        if self.cache is None or (not self.link and (cached or len(data) <= self.cache.packed_max_bytes)):
            for entry in group:
                _write_at(self.dests[entry.path], data)
                self.advance(entry.size)
            if self.keeper is not None and not cached:
                self.keeper.keep(digest, data)
            return
        temp = self.cache.download_path(digest)
        _write_read_only(temp, data)
        try:
            for entry in group:
                place_at(temp, self.dests[entry.path], self.link, data)
                self.advance(entry.size)
            self.cache.adopt(digest, temp, len(data))
        except BaseException:
            remove_quietly(temp)
            raise

    def download(self, remote: RemoteBlobs, digest: str) -> None:
        """One large blob, streamed to files and hashed on the way: the cache's temp file and,
        in copy mode, the first destination (without the cache, only that destination)."""
        first, *others = self.groups[digest]
        dest = self.dests[first.path]
        cache = self.cache if self.link or first.size < UNCACHED_COPY_MIN_BYTES else None
        temp = cache.download_path(digest) if cache is not None else None
        paths = [temp] if self.link and temp else [path for path in (temp, dest) if path]
        try:
            actual = remote.download_to(digest, paths, self.advance)
        except FileExistsError:  # another process created ``dest`` meanwhile: replaced below
            paths = [temp or temp_beside(dest)]
            actual = remote.download_to(digest, paths, self.advance)
        _check(first, actual, paths)
        holder = paths[0]  # a verified file holding the blob
        try:
            if self.link:
                os.chmod(holder, CACHED_BLOB_MODE)  # the linked files are the cached blob: read-only
            if dest not in paths and temp is not None:
                place_at(holder, dest, self.link)
            for entry in others:
                place_at(holder, self.dests[entry.path], self.link)
                self.advance(entry.size)
            if cache is not None and temp is not None:
                cache.adopt(digest, temp, first.size)
            elif holder != dest:
                os.replace(holder, dest)  # the temp beside ``dest`` becomes it
        except BaseException:
            if holder != dest:
                remove_quietly(holder)
            raise


class _Keeper:
    """Packs received small blobs into the cache, ``KEEP_BATCH_BYTES`` at a time, on a thread
    of its own (``BatchWorker``): the transfer threads do not wait for a pack to be written
    and synced, unless a batch is waiting already (so memory stays bounded: the batch being
    written, one waiting, one filling, and one per transfer thread handing its batch over)."""

    def __init__(self, cache: BlobCache) -> None:
        self._lock = threading.Lock()
        self._pending: list[tuple[str, bytes]] = []
        self._pending_bytes = 0
        self._worker: BatchWorker[list[tuple[str, bytes]]] = BatchWorker(
            cache.add_many, queued=1, name="archivist-cache"
        )

    def keep(self, digest: str, data: bytes) -> None:
        """Keep a verified blob (called from several threads at once)."""
        with self._lock:
            self._pending.append((digest, data))
            self._pending_bytes += len(data)
            if self._pending_bytes < KEEP_BATCH_BYTES:
                return
            batch, self._pending, self._pending_bytes = self._pending, [], 0
        self._worker.put(batch)

    def finish(self) -> None:
        """Keep what is pending and wait until every batch is in the cache (raising its error)."""
        with self._lock:
            batch, self._pending, self._pending_bytes = self._pending, [], 0
        if batch:
            self._worker.put(batch)
        self._worker.finish()

    def close(self) -> None:
        """Stop the thread (after the batch being written, if any; pending ones are dropped)."""
        self._worker.cancel()


def _check(entry: Entry, actual: str, written: Sequence[str] = ()) -> None:
    """``IntegrityError`` (after removing the files ``written``) unless ``actual`` is the entry's digest."""
    if actual != entry.digest:
        for path in written:
            remove_quietly(path)
        raise IntegrityError(
            f"downloaded bytes of {entry.path!r} do not match its digest: blake3 {actual[:12]}..., "
            f"expected {entry.digest[:12]}...; nothing was written there"
        )


def _write_at(dest: str, data: bytes) -> None:
    """Create ``dest`` holding ``data``; if another process created it meanwhile, replace it."""
    try:
        write_new(dest, data)
        return
    except FileExistsError:
        pass
    temp = temp_beside(dest)
    try:
        write_new(temp, data)
        os.replace(temp, dest)
    except BaseException:
        remove_quietly(temp)
        raise


def _write_read_only(path: str, data: bytes) -> None:
    """Create ``path`` read-only (as cached blobs are) holding ``data``."""
    fd = os.open(path, _NEW_FILE, CACHED_BLOB_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        remove_quietly(path)
        raise
    os.close(fd)
