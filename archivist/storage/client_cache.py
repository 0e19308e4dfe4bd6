"""The client cache: a content-addressed folder of blobs with a size limit.

Layout: ``<root>/obj/blake3/<2 hex>/<62 hex>`` for blobs kept as files of their own,
``<root>/obj/blake3/packs/`` for small blobs kept packed (``add_many``: one pack file and
one index transaction per batch, as the folder store does, instead of a temp file, a rename
and an inode per blob), in-progress writes in ``<root>/tmp/``. Every blob is verified
against its digest before it becomes visible, so several processes can share the cache.
Nothing is synced (what a cache loses is fetched again); packed blobs are therefore
verified again when read.

Eviction works on files: a loose blob, or a whole pack (its blobs were downloaded together
and tend to be used together). Each use sets the file's mtime to now; eviction removes the
least recently used (oldest mtime) first. A pack is evicted by deleting its index rows in
one transaction, then the file; a reader that located a blob in it just before finds the
pack gone and treats the blob as not cached.

Adding a blob that would take the cache over its limit first evicts LRU blobs.
To avoid re-listing the cache on every add, a process keeps its own LRU index
and re-lists the folder every ``RESCAN_SECONDS`` (or on ``size``/``evict``), so
blobs added by other processes in between are counted at the next re-list.

A blob larger than the whole limit is never cached: ``add_file`` and ``adopt``
return None (the caller still has the file) and ``writer`` raises ``StorageError``
(pass ``size=`` so this happens before any byte is transferred).

Cached blobs are read-only files, so downloads in link mode hard-link them into the
user's folder. Evicting a blob only removes the cache's name for it: a linked file
keeps its bytes (they then no longer count against the cache limit).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence

from archivist.core.blob_cache import CACHED_BLOB_MODE
from archivist.core.errors import InvalidInputError, PathNotFoundError, StorageError
from archivist.core.manifest_entry import hash_bytes
from archivist.core.sizes import format_size
from archivist.storage import copying
from archivist.storage.local import BlobWriter, LocalBlobStore
from archivist.storage.loose import scandir_or_empty
from archivist.storage.packs import PACK_MAX_BLOB_BYTES, PACK_SUFFIX, pack_path

DEFAULT_LIMIT_FRACTION = 0.10
DEFAULT_LIMIT_CAP_BYTES = 20 * 1000**3
RESCAN_SECONDS = 60.0
_download_counter = itertools.count()


def default_limit(root: str) -> int:
    """min(10% of the disk holding ``root``, 20 GB)."""
    existing = os.path.abspath(root)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    total = shutil.disk_usage(existing).total
    return min(int(total * DEFAULT_LIMIT_FRACTION), DEFAULT_LIMIT_CAP_BYTES)


class ClientCache:
    """Blobs kept on this machine so that downloads need not fetch them again (a ``BlobCache``)."""

    packed_max_bytes = PACK_MAX_BLOB_BYTES

    def __init__(self, root: str, limit_bytes: int | None) -> None:
        if limit_bytes is not None and limit_bytes < 0:
            raise InvalidInputError(f"cache limit {limit_bytes} is negative: use 0 or more bytes")
        self.root = os.path.abspath(root)
        self.limit = default_limit(self.root) if limit_bytes is None else limit_bytes
        self._blobs = LocalBlobStore(  # not durable: what a cache loses is fetched again
            os.path.join(self.root, "obj", "blake3"), temp_dir=os.path.join(self.root, "tmp"), durable=False
        )
        self._lock = threading.Lock()
        # blob path -> (size, mtime_ns as last seen), least recently used first
        self._lru: OrderedDict[str, tuple[int, int]] | None = None
        self._total = 0  # bytes in the index plus bytes reserved by adds in flight
        self._listed_at = 0.0
        self._temp_dir_checked = False

    def __repr__(self) -> str:
        return f"ClientCache({self.root!r}, limit={format_size(self.limit)})"

    def get(self, digest: str, size: int | None = None) -> str | None:
        """The path of cached blob ``digest``, or None; marks it as just used.

        A hit is decided by existence (and by ``size`` when given), not by
        re-hashing. Another process may evict the blob later: open it promptly
        and treat ``FileNotFoundError`` as a miss.
        """
        path = self._blobs.blob_path(digest)
        try:
            found_size = os.stat(path).st_size
        except FileNotFoundError:
            return None
        if size is not None and found_size != size:
            self._forget(path, remove=True)  # damaged; let the next add replace it
            return None
        self._touch(path, found_size)
        return path

    def packed(self, wanted: Mapping[str, int]) -> Iterator[tuple[str, bytes]]:
        """``(digest, bytes)`` of the blobs among ``wanted`` (digest -> size) that the cache holds
        packed with that size, pack by pack; marks their packs as just used.

        The bytes are hashed here: the cache's packs are not synced when written (a power cut
        may leave an indexed blob's bytes unwritten), so a blob that does not match is a miss.
        """
        located = self._blobs.index.locate(list(wanted))
        located = {digest: where for digest, where in located.items() if where.size == wanted[digest]}
        for name in {where.pack for where in located.values()}:
            self._touch(pack_path(self._blobs.packs_dir, name), None)
        for digest, data in copying.packed_bytes(self._blobs, located):
            if data is not None and hash_bytes(data) == digest:  # None: its pack was evicted meanwhile
                yield digest, data

    def add_many(self, blobs: Sequence[tuple[str, bytes]]) -> None:
        """Keep small blobs packed (one pack file, one index transaction for the lot).

        The caller has just hashed these very bytes against their digests, and found them
        missing here: they are neither hashed nor looked up again. A batch larger than the
        whole limit is not kept.
        """
        total = sum(len(data) for _digest, data in blobs)
        if not blobs or total > self.limit:
            return
        self._reserve(total)
        try:
            names = self._blobs.pack_verified(blobs)
        finally:
            self._release(total)  # counted below as the pack files they went to
        for name in names:
            path = pack_path(self._blobs.packs_dir, name)
            with contextlib.suppress(FileNotFoundError):  # evicted by another process already
                self._admit(path, os.stat(path).st_size, reserved=False)

    def add_file(self, digest: str, src_path: str) -> str | None:
        """Copy ``src_path`` in as blob ``digest`` and return the cached path.

        The copy is verified while it is made (``IntegrityError`` if the bytes
        do not hash to ``digest``). Returns None, caching nothing, when the file
        is larger than the cache limit.
        """
        cached = self.get(digest)
        if cached is not None:
            return cached
        try:
            size = os.stat(src_path).st_size
        except FileNotFoundError:
            raise PathNotFoundError(f"cannot cache {src_path}: no such file") from None
        if size > self.limit:
            return None
        self._reserve(size)
        try:
            self._blobs.put_file(digest, src_path)
        except BaseException:
            self._release(size)
            raise
        path = self._blobs.blob_path(digest)
        self._admit(path, size)
        return path

    def ingest(self, path: str) -> tuple[str, int] | None:
        """Copy the file at ``path`` in while hashing it (one pass) and return ``(digest,
        size)`` of the bytes copied, whatever happens to the file afterwards; None, caching
        nothing, when the file is larger than the whole limit."""
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            raise PathNotFoundError(f"cannot add {path}: no such file") from None
        if size > self.limit:
            return None
        self._reserve(size)
        try:
            digest, stored = self._blobs.ingest_file(path)
        except BaseException:
            self._release(size)
            raise
        self._release(size - stored)  # the file may have grown or shrunk since the stat
        self._admit(self._blobs.blob_path(digest), stored)
        return digest, stored

    def missing(self, digests: Sequence[str]) -> set[str]:
        """The digests among ``digests`` the cache does not hold (loose or packed)."""
        return self._blobs.missing(digests)

    def sources(self, digests: Sequence[str]) -> dict[str, str | bytes]:
        """Where the cache holds each of ``digests``: the path of its file, or the bytes of a
        packed one; blobs it lacks are left out. Marks them as just used."""
        found: dict[str, str | bytes] = {}
        for digest in digests:
            path = self.get(digest)
            if path is not None:
                found[digest] = path
        rest = [digest for digest in digests if digest not in found]
        if rest:
            located = self._blobs.index.locate(rest)
            found.update(self.packed({digest: where.size for digest, where in located.items()}))
        return found

    @contextlib.contextmanager
    def writer(self, digest: str, size: int | None = None) -> Iterator[BlobWriter]:
        """Stream blob ``digest`` into the cache: ``with cache.writer(d, size) as w: w.write(...)``.

        The bytes go to a temp file; on leaving the block they are verified
        (``IntegrityError`` on mismatch) and renamed into place at
        ``w.final_path``. An exception inside the block discards them.
        ``StorageError`` if the blob is larger than the cache limit.
        """
        if size is not None:
            self._refuse_if_too_large(digest, size)
        blob = self._blobs.open_writer(digest)
        try:
            yield blob
            self._refuse_if_too_large(digest, blob.size)
            self._reserve(blob.size)
            try:
                blob.commit()
            except BaseException:
                self._release(blob.size)
                raise
        except BaseException:
            blob.abort()
            raise
        self._admit(blob.final_path, blob.size)

    def download_path(self, digest: str) -> str:
        """A new temporary path, on the cache's filesystem, to download blob ``digest`` into
        before ``adopt``-ing it (``cleanup(remove_temp=True)`` removes what a killed process left)."""
        temp_dir = self._blobs.temp_dir
        if not self._temp_dir_checked:  # once per process: someone may have removed tmp/
            os.makedirs(temp_dir, exist_ok=True)
            self._temp_dir_checked = True
        return f"{temp_dir}/{digest[:16]}.{os.getpid()}.{next(_download_counter)}.download"

    def adopt(self, digest: str, path: str, size: int) -> str | None:
        """Move the file at ``path`` (from ``download_path``), ``size`` bytes the caller has
        just verified against ``digest``, into the cache as a read-only blob; returns the
        cached path.

        A file larger than the cache limit is removed and None returned. Hard links made to
        ``path`` beforehand keep working: the cache keeps that very file (same inode).
        """
        if size > self.limit:
            os.unlink(path)
            return None
        try:
            os.chmod(path, CACHED_BLOB_MODE)
        except FileNotFoundError:
            raise PathNotFoundError(f"cannot cache {path}: no such file") from None
        final_path = self._blobs.blob_path(digest)
        self._reserve(size)
        try:
            try:
                os.replace(path, final_path)
            except FileNotFoundError:  # the fan-out folder does not exist yet
                os.makedirs(os.path.dirname(final_path), exist_ok=True)
                os.replace(path, final_path)
        except BaseException:
            self._release(size)
            raise
        self._admit(final_path, size)
        return final_path

    def size(self) -> int:
        """Bytes held in cached blobs now (lists the folder)."""
        with self._lock:
            self._relist()
            return self._total

    def evict(self, target_bytes: int) -> int:
        """Remove least recently used blobs until the cache holds at most ``target_bytes``.

        Returns the bytes reclaimed. Blobs that vanish meanwhile (another
        process evicted them) are skipped, not an error.
        """
        if target_bytes < 0:
            raise InvalidInputError(f"eviction target {target_bytes} is negative: use 0 or more bytes")
        with self._lock:
            self._relist()
            return self._evict_until(target_bytes)

    def cleanup(self, target_size: int, remove_temp: bool = False) -> int:
        """``evict(target_size)``, and with ``remove_temp`` also delete every file in ``tmp/``
        (including writes in progress, which then fail). Returns the bytes reclaimed."""
        reclaimed = self.evict(target_size)
        if remove_temp:
            reclaimed += self._blobs.cleanup_temp(older_than_seconds=0)
        return reclaimed

    def _refuse_if_too_large(self, digest: str, size: int) -> None:
        if size > self.limit:
            raise StorageError(
                f"blob {digest[:12]}... is {format_size(size)}, larger than the cache limit "
                f"{format_size(self.limit)}; it is not cached (use skip_cache=True or raise "
                "ARCHIVIST_CACHE_LIMIT)"
            )

    def _touch(self, path: str, size: int | None) -> None:
        """Mark a blob file or pack as just used (``size`` None: as the index has it)."""
        now_ns = time.time_ns()
        with contextlib.suppress(OSError):  # vanished, or another user's blob
            os.utime(path, ns=(now_ns, now_ns))
        with self._lock:
            if self._lru is not None and path in self._lru:
                self._lru[path] = (self._lru[path][0] if size is None else size, now_ns)
                self._lru.move_to_end(path)

    def _reserve(self, incoming: int) -> None:
        """Make room for ``incoming`` bytes (evicting LRU blobs) and count them."""
        with self._lock:
            if self._lru is None or time.monotonic() - self._listed_at > RESCAN_SECONDS:
                self._relist()
            self._evict_until(self.limit - incoming)
            self._total += incoming

    def _release(self, reserved: int) -> None:
        with self._lock:
            self._total -= reserved

    def _admit(self, path: str, size: int, reserved: bool = True) -> None:
        """Index a blob file or pack (whose bytes ``_reserve`` counted already when ``reserved``)."""
        with self._lock:
            if self._lru is None:
                return
            if path in self._lru:
                self._total -= self._lru[path][0]  # a concurrent add of the same file counted it already
            if not reserved:
                self._total += size
            self._lru[path] = (size, time.time_ns())
            self._lru.move_to_end(path)

    def _forget(self, path: str, remove: bool) -> None:
        if remove:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        with self._lock:
            if self._lru is not None and path in self._lru:
                self._total -= self._lru.pop(path)[0]

    def _relist(self) -> None:
        """Rebuild the LRU index from the folder (lock held)."""
        found: list[tuple[int, str, int]] = []
        for _digest, entry in self._blobs.iter_blob_entries():
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            found.append((st.st_mtime_ns, entry.path, st.st_size))
        for entry in scandir_or_empty(self._blobs.packs_dir):
            if entry.name.endswith(PACK_SUFFIX):
                with contextlib.suppress(FileNotFoundError):
                    st = entry.stat(follow_symlinks=False)
                    found.append((st.st_mtime_ns, entry.path, st.st_size))
        found.sort()
        self._lru = OrderedDict((path, (size, mtime_ns)) for mtime_ns, path, size in found)
        self._total = sum(size for _mtime, _path, size in found)
        self._listed_at = time.monotonic()

    def _evict_until(self, target: int) -> int:
        """Remove LRU blobs while the total exceeds ``target`` (lock held); bytes reclaimed."""
        assert self._lru is not None
        reclaimed = 0
        while self._total > target and self._lru:
            path, (size, seen_mtime_ns) = next(iter(self._lru.items()))
            try:
                mtime_ns = os.stat(path).st_mtime_ns
            except FileNotFoundError:
                mtime_ns = None  # evicted by another process
            if mtime_ns is not None and mtime_ns > seen_mtime_ns:
                self._lru[path] = (size, mtime_ns)  # another process used it since we looked
                self._lru.move_to_end(path)
                continue
            del self._lru[path]
            self._total -= size
            if mtime_ns is None:
                continue
            if path.endswith(PACK_SUFFIX):
                reclaimed += self._evict_pack(path, size)
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                reclaimed += size
        return reclaimed

    def _evict_pack(self, path: str, size: int) -> int:
        """Delete a pack's index rows (one transaction), which unlinks the emptied pack; a pack
        without rows is being written by another process (or is an orphan ``cleanup`` removes)
        and stays. Returns the bytes reclaimed."""
        name = os.path.basename(path)[: -len(PACK_SUFFIX)]
        rows = self._blobs.index.rows_in_packs([name])
        if not rows:
            return 0
        self._blobs.delete_many([digest for digest, _where in rows])
        return size


class CacheOpener:
    """The client cache of a process, made when first asked for: making it creates its
    folders, which a process on the embedded store (or one that downloads nothing) never needs."""

    def __init__(self, root: str, limit_bytes: int | None) -> None:
        self._root = root
        self._limit = limit_bytes
        self._cache: ClientCache | None = None
        self._lock = threading.Lock()

    def __call__(self) -> ClientCache:
        with self._lock:
            if self._cache is None:
                self._cache = ClientCache(self._root, self._limit)
            return self._cache
