"""LocalBlobStore: blobs in a folder, loose or packed.

    <root>/<first 2 hex>/<remaining 62 hex>   a loose blob: one read-only file (``loose``)
    <root>/packs/<random hex>.pack            many small blobs appended to one file (``packs``)
    <root>/packs/index.sqlite                 digest -> (pack, offset, size) (``pack_index``)
    <root>/tmp/                               temp files of loose writes in progress

Batches (``put_files``, ``put_bytes_many``) pack blobs up to ``PACK_MAX_BLOB_BYTES``:
one pack and one index transaction for thousands of files instead of a temp file,
a rename and an inode each. Larger blobs, and single ``put_file``/``put_bytes``/
``open_writer`` writes (a server's uploads, the client cache), stay loose. Every
method answers for both kinds; ``local_path`` only for loose blobs (a packed blob has
no file of its own: it is None for those).

Speed matters here (storing 20,000 small files should cost about what ``cp -r``
does), so the hot paths use os-level calls, one index query per 500 digests, and
no extra stats.

Every write is durable when it returns (``syncing``): files synced before they are
renamed into place, the folders naming them after, packs and the index before any
row names a pack. ``durable=False`` (the client cache) skips the syncs of loose blobs.

A blob found in the store is not trusted on sight (``whole_blobs``): a write that finds
it damaged stores it anew, and downloads verify every byte they copy.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import BinaryIO

import blake3

from archivist.core.errors import (
    BlobNotFoundError,
    FileChangedError,
)
from archivist.core.manifest import is_blob_digest
from archivist.core.progress import Progress
from archivist.core.transfers import CleanupReport
from archivist.storage import batch_writes, blob_reads, copying, packs, whole_blobs
from archivist.storage.base import BlobRead
from archivist.storage.batches import (
    check_bytes,
    ignore_progress,
    unique_pairs,
)
from archivist.storage.folder_store import pack_writer
from archivist.storage.loose import (
    READ_CHUNK_BYTES,
    BlobWriter,
    check_read_digest,
    open_for_reading,
    require_blob_digest,
    require_blob_digests,
    scandir_or_empty,
    store_whole,
)
from archivist.storage.pack_index import INDEX_FILE, PackIndex
from archivist.storage.packs import PACK_MAX_BLOB_BYTES
from archivist.storage.space import SpaceGuard, converts_no_space, no_space_as
from archivist.storage.store_sink import StoreSink
from archivist.storage.syncing import make_folders

__all__ = [
    "PACK_MAX_BLOB_BYTES",
    "BlobWriter",
    "LocalBlobStore",
    "check_read_digest",
    "open_for_reading",
    "require_blob_digest",
]

PACKS_DIR = "packs"
LIST_FOLDERS_FROM = 2000
"""Presence checks of this many unpacked digests list the blob folders instead of stat'ing each."""


INGEST_TEMP_NAME = "ingest-" + "0" * 9  # temp files of ingests: the digest is not known yet


class LocalBlobStore:
    """The BlobStore protocol over a local folder.

    ``temp_dir`` defaults to ``<root>/tmp``; it must be on the same filesystem as
    ``root`` so that renames are atomic. A pack is sealed at ``pack_max_bytes``.
    ``pack_small_blobs=False`` stores every blob as its own file (slower to log many
    small files, but every blob can be hard-linked at once by link-mode downloads).
    ``durable=False`` (a cache, whose blobs can be fetched again) does not sync loose
    blobs and their folders. ``label`` names the store in messages (a server's names it by
    its kind, never by its path). ``reserve_bytes``: writes that would leave less free on
    the store's filesystem are refused (``space``), so that freeing space always can run.
    """

    def __init__(
        self,
        root: str,
        *,
        temp_dir: str | None = None,
        pack_max_bytes: int = packs.PACK_MAX_BYTES,
        pack_small_blobs: bool = True,
        durable: bool = True,
        label: str | None = None,
        reserve_bytes: int = 0,
    ) -> None:
        self.root = os.path.abspath(root)
        self.label = label or f"the blob store at {self.root}"
        self.space = SpaceGuard(self.root, reserve_bytes, self.label)
        self.pack_max_bytes = pack_max_bytes
        self.pack_blob_max_bytes = PACK_MAX_BLOB_BYTES if pack_small_blobs else -1
        self.durable = durable
        self.temp_dir = os.path.abspath(temp_dir) if temp_dir else os.path.join(self.root, "tmp")
        self.packs_dir = os.path.join(self.root, PACKS_DIR)
        self.index = PackIndex(os.path.join(self.packs_dir, INDEX_FILE), durable)
        with no_space_as(self.label):
            make_folders(self.root, durable)
            os.makedirs(self.temp_dir, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore({self.root!r})"

    def blob_path(self, digest: str) -> str:
        """Where blob ``digest`` lives when loose (whether or not it exists)."""
        return self.checked_blob_path(require_blob_digest(digest))

    def checked_blob_path(self, digest: str) -> str:
        """``blob_path`` of a digest the caller has validated already (the batch loops)."""
        return f"{self.root}/{digest[:2]}/{digest[2:]}"

    # --- presence ----------------------------------------------------------------------------
    def missing(self, digests: Iterable[str], sizes: Mapping[str, int] | None = None) -> set[str]:
        """The digests the store does not hold whole: the index names the unpacked ones (most
        blobs of a store are packed), and only those cost a look for a loose file, which
        counts as missing when it is damaged (``whole_blobs``; ``sizes``: the true size of
        some digests)."""
        unpacked = self.index.unindexed(require_blob_digests(digests))
        whole, _suspects = whole_blobs.loose_whole(self, unpacked, (sizes or {}).get)
        return set(unpacked).difference(whole)

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        held, _suspects = whole_blobs.held_whole(self, require_blob_digests(digests), lambda _digest: None)
        return held

    def loose_sizes(self, unpacked: Sequence[str]) -> dict[str, int]:
        """The size of each loose blob among ``unpacked`` (validated digests)."""
        sizes: dict[str, int] = {}
        if len(unpacked) >= LIST_FOLDERS_FROM:
            unpacked = self._listed_loose(unpacked)
        for digest in unpacked:
            try:  # noqa: SIM105 (a hot loop: suppress() costs more than the stat)
                sizes[digest] = os.stat(self.checked_blob_path(digest)).st_size
            except FileNotFoundError:
                pass
        return sizes

    def _listed_loose(self, digests: Sequence[str]) -> list[str]:
        """The digests among ``digests`` that have a loose file, found by listing their
        folders: for thousands of digests (most of them absent, as when logging new files
        to a store that packs them) far fewer calls than one failing ``stat`` each."""
        by_folder: dict[str, list[str]] = {}
        for digest in digests:
            by_folder.setdefault(digest[:2], []).append(digest)
        found: list[str] = []
        for folder, members in by_folder.items():
            names = {entry.name for entry in scandir_or_empty(f"{self.root}/{folder}")}
            if names:
                found.extend(digest for digest in members if digest[2:] in names)
        return found

    # --- writes ------------------------------------------------------------------------------
    @converts_no_space
    def put_file(self, digest: str, path: str) -> int:
        final_path = self.blob_path(digest)
        held, suspects = whole_blobs.held_whole(self, [digest], lambda _digest: _file_size(path))
        if digest in held:
            return held[digest]
        try:
            return self._write_file(digest, path, final_path)
        except FileChangedError:
            if digest not in suspects:
                raise
            # The file changed, so its size proves nothing: the stored copy stays (as held).
            return os.stat(final_path).st_size

    def _write_file(self, digest: str, path: str, final_path: str) -> int:
        source = open_for_reading(path)
        try:
            size = os.fstat(source).st_size
            self.space.check(size)
            first = os.read(source, READ_CHUNK_BYTES)
            more = os.read(source, READ_CHUNK_BYTES) if first else b""
            if not more:  # the whole file came in one read: check it before writing anything
                check_read_digest(path, digest, blake3.blake3(first).hexdigest())
                store_whole(first, final_path, self.temp_dir, digest, self.durable)
                return len(first)
            writer = BlobWriter(digest, final_path, self.temp_dir, self.durable, self.space, size)
            try:
                writer.write(first)
                writer.write(more)
                writer.copy_from(source)
                check_read_digest(path, digest, writer.hexdigest())
            except BaseException:
                writer.abort()
                raise
        finally:
            os.close(source)
        return writer.commit()

    @converts_no_space
    def ingest_file(self, path: str) -> tuple[str, int]:
        """Store a file whose digest is not known yet and return ``(digest, size)``.

        One pass over the data: the kernel copies the file into a temp file while a
        second thread hashes the copy, which is then named by that hash. What is
        stored is exactly what was hashed, whatever happens to the file afterwards.
        The SDK uses it for large files of a draft on the embedded store, instead of
        hashing them when added and reading them again when logged.
        """
        source = open_for_reading(path)
        try:
            size = os.fstat(source).st_size
            writer = BlobWriter(INGEST_TEMP_NAME, "", self.temp_dir, self.durable, self.space, size)
            try:
                writer.copy_from(source)
            except BaseException:
                writer.abort()
                raise
        finally:
            os.close(source)
        digest = writer.settle_digest(self.blob_path)
        held, _suspects = whole_blobs.held_whole(self, [digest], lambda _digest: writer.size)
        if digest in held:
            writer.abort()  # held already (dedup)
            return digest, writer.size
        return digest, writer.commit()  # replaces a damaged loose file

    def open_sink(self) -> StoreSink:
        """A ``StoreSink`` storing checked blobs in the background, by this store's rules."""
        return StoreSink(self)

    @converts_no_space
    def put_bytes(self, digest: str, data: bytes) -> None:
        final_path = self.blob_path(digest)
        check_bytes(digest, data)
        held, _suspects = whole_blobs.held_whole(self, [digest], lambda _digest: len(data))
        if digest not in held:
            self.space.check(len(data))
            store_whole(data, final_path, self.temp_dir, digest, self.durable)  # over a damaged one

    @converts_no_space
    def put_files(
        self,
        items: Sequence[tuple[str, str]],
        progress: Progress | None = None,
        held: Mapping[str, bytes] | None = None,
        *,
        trust_held: bool = False,
    ) -> None:
        """Store many ``(digest, path)`` pairs; blobs already held are skipped.

        Small files are appended to one pack (a few when they exceed ``PACK_MAX_BYTES``),
        indexed in one transaction after their bytes are written; larger ones go
        through ``put_file``. Each file is verified against its digest as read.
        ``held``: bytes of some of the files already in memory (by digest); they are
        verified too (unless ``trust_held``: the caller hashed these very bytes in this
        process, as the embedded backend's SDK does), and their files are not read.

        A file that fails (``FileChangedError``: it no longer hashes to its digest;
        ``PathNotFoundError``) is not stored, the rest of the batch is, and then the
        first failure is raised, counting the others. ``progress`` gets each blob's
        size as it is stored or found held (whole: see ``whole_blobs``).
        """
        sources: dict[str, str] = unique_pairs(items, "local_path")
        memory = held or {}

        def expected(digest: str) -> int | None:
            data = memory.get(digest)
            return _file_size(sources[digest]) if data is None else len(data)

        def load(digest: str) -> tuple[bytes | None, str]:
            path = sources[digest]
            data = memory.get(digest)
            if data is not None:
                if not trust_held:
                    check_bytes(digest, data, path)
                return data, path
            data = _read_small(path, PACK_MAX_BLOB_BYTES)
            if data is not None:
                check_read_digest(path, digest, blake3.blake3(data).hexdigest())
            return data, path

        batch_writes.store_batch(
            self, list(sources), load, expected, progress or ignore_progress, memory if trust_held else None
        )

    @converts_no_space
    def pack_verified(self, blobs: Sequence[tuple[str, bytes]]) -> list[str]:
        """Append small blobs the caller has just hashed against their digests to new packs,
        without looking up which the store holds first (a blob it holds already gets no
        second row); returns the names of the packs written. For the client cache, which
        keeps what it has just found missing."""
        writer = pack_writer(self)
        try:
            writer.add_many(blobs, ignore_progress)
            writer.finish()
        except BaseException:
            writer.abort()
            raise
        return writer.kept

    @converts_no_space
    def put_bytes_many(self, items: Sequence[tuple[str, bytes]], progress: Progress | None = None) -> None:
        """Store many ``(digest, bytes)`` pairs like ``put_files`` (``IntegrityError`` for
        bytes that do not match their digest; the rest of the batch is stored)."""
        blobs: dict[str, bytes] = unique_pairs(items, "bytes")

        def load(digest: str) -> tuple[bytes | None, str]:
            check_bytes(digest, blobs[digest])
            return blobs[digest], ""

        batch_writes.store_batch(
            self, list(blobs), load, lambda digest: len(blobs[digest]), progress or ignore_progress
        )

    def open_writer(self, digest: str, size: int | None = None) -> BlobWriter:
        """A writer for loose blob ``digest`` (an upload, or a download into a cache) of
        ``size`` bytes if known (``NoSpaceError`` at once when it would not fit)."""
        return BlobWriter(digest, self.blob_path(digest), self.temp_dir, self.durable, self.space, size)

    def open_upload(self, digest: str, size: int | None = None) -> BlobWriter:
        """An upload streams into a ``BlobWriter`` (renamed into place once verified)."""
        return self.open_writer(digest, size)

    def open_splice_upload(self, digest: str) -> BlobWriter:
        """A ``BlobWriter``: its temp file takes bytes the kernel moves from a socket."""
        return self.open_writer(digest)

    # --- reads -------------------------------------------------------------------------------
    def open(self, digest: str) -> BinaryIO:
        """A reader of the blob; ``DamagedBlobError`` when its pack ends before it or its file
        is certainly damaged (its bytes are checked by whoever reads them all: a commit's
        manifest check, a client, ``fsck``)."""
        require_blob_digest(digest)
        located = self.index.locate([digest])
        if located:
            for _digest, data in copying.packed_bytes(self, located):
                if data is not None:
                    return io.BytesIO(data)
        try:
            reader = open(self.blob_path(digest), "rb")  # noqa: SIM115 (returned)
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {digest} is not in the store at {self.root}") from None
        if whole_blobs.certainly_damaged(digest, os.fstat(reader.fileno()).st_size):
            reader.close()
            raise copying.damaged_blob(self, digest, "its file holds 0 bytes")
        return reader

    def open_sized(self, digest: str) -> tuple[BinaryIO, int]:
        """A loose blob's file opened unbuffered, or a packed blob's bytes in memory."""
        return blob_reads.open_sized_local(self, digest)

    def read_many(self, digests: Sequence[str]) -> Iterator[BlobRead]:
        """Packed blobs pack by pack in offset order, then loose ones (``blob_reads``)."""
        return blob_reads.read_many_local(self, digests)

    def presigned_access(self) -> None:
        """None: a folder is reached through the server only."""
        return None

    def local_path(self, digest: str) -> str | None:
        """The loose file holding the blob; None when it is absent or held only in a pack."""
        path = self.blob_path(digest)
        return path if os.path.exists(path) else None

    def copy_to(
        self, items: Sequence[tuple[str, str]], link: bool = False, progress: Progress | None = None
    ) -> None:
        """Write each ``(digest, dest_path)`` blob to ``dest_path``, which must not exist
        (``FileExistsError``) and whose folder must. Each destination is written whole or
        removed again. Packed blobs are read in (pack, offset) order with one open per pack.

        ``link=True`` hard-links destinations to the read-only loose blobs, so they share
        the store's inode and are read-only. A packed blob is written (verified, read-only)
        to its first destination, which is then linked into the store as its loose file, so
        that later downloads link it too. Where the filesystem refuses links, blobs are copied.
        ``progress`` gets the bytes written: a link writes none.
        ``BlobNotFoundError`` names a blob the store lacks (earlier destinations stay).
        """
        destinations = copying.by_digest(items)
        if destinations:
            copy = copying.link_blobs if link else copying.copy_blobs
            copy(self, destinations, progress or ignore_progress)

    # --- listing, deletion, maintenance ------------------------------------------------------
    def delete(self, digest: str) -> None:
        self.delete_many([digest])

    @converts_no_space
    def delete_many(self, digests: Iterable[str]) -> None:
        """Remove blobs (absent ones are ignored): packed ones in one index transaction;
        a pack left with no blob is unlinked, one left under half full awaits ``compact_packs``."""
        wanted = require_blob_digests(digests)
        packs.unlink_packs(self.packs_dir, self.index.delete(wanted))
        for digest in wanted:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.root}/{digest[:2]}/{digest[2:]}")

    def iter_digests(self) -> Iterator[str]:
        """Every digest stored: packed ones first, then loose ones not also packed."""
        yield from self.index.iter_digests()
        for fan_out in scandir_or_empty(self.root):
            prefix = fan_out.name
            if len(prefix) != 2 or not fan_out.is_dir(follow_symlinks=False):
                continue
            loose = [digest for digest, _entry in self._blobs_in(fan_out)]
            packed = self.index.locate(loose)
            yield from (digest for digest in loose if digest not in packed)

    def iter_blob_entries(self) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """``(digest, directory entry)`` of every loose blob; the entry's ``stat()`` is cheap."""
        for fan_out in scandir_or_empty(self.root):
            if len(fan_out.name) == 2 and fan_out.is_dir(follow_symlinks=False):
                yield from self._blobs_in(fan_out)

    @staticmethod
    def _blobs_in(fan_out: os.DirEntry[str]) -> Iterator[tuple[str, os.DirEntry[str]]]:
        for blob in scandir_or_empty(fan_out.path):
            digest = fan_out.name + blob.name
            if is_blob_digest(digest):
                yield digest, blob

    def blob_times(self, digests: Iterable[str]) -> dict[str, float]:
        """When each held blob among ``digests`` was written (seconds since the epoch):
        its pack's time for a packed blob, its file's mtime for a loose one."""
        wanted = require_blob_digests(digests)
        times = self.index.written_at(wanted)
        for digest in wanted:
            if digest not in times:
                with contextlib.suppress(FileNotFoundError):
                    times[digest] = os.stat(f"{self.root}/{digest[:2]}/{digest[2:]}").st_mtime
        return times

    @converts_no_space
    def compact_packs(self) -> int:
        """Rewrite packs whose live bytes fell under half (after deletions); returns bytes reclaimed.
        ``NoSpaceError`` (before writing) when their live bytes would not fit outside the reserve."""
        self.space.check(sum(stats.live_bytes for stats in self.index.sparse_packs()))
        return packs.compact(self.packs_dir, self.index, self.pack_max_bytes)

    def cleanup_temp(self, older_than_seconds: float) -> int:
        """Remove temp files and unindexed packs last written more than ``older_than_seconds`` ago.

        They are left by killed writers; a live writer keeps its file's mtime fresh, so
        pick an age longer than any single write may stall (a pack removed under a live
        writer makes that writer fail cleanly, storing nothing). Returns the bytes reclaimed.
        """
        cutoff_ns = time.time_ns() - int(older_than_seconds * 1e9)
        reclaimed = 0
        for entry in scandir_or_empty(self.temp_dir):
            try:
                st = entry.stat(follow_symlinks=False)
                if st.st_mtime_ns <= cutoff_ns:
                    os.unlink(entry.path)
                    reclaimed += st.st_size
            except FileNotFoundError:
                continue  # removed by another cleaner or committed meanwhile
        return reclaimed + packs.remove_orphans(self.packs_dir, self.index, cutoff_ns)

    def clean_stale_uploads(self, older_than_seconds: float, now: float | None = None) -> CleanupReport:
        """Uploads in progress are temp files here: ``cleanup_temp`` (by their mtime, not ``now``)."""
        return CleanupReport(reclaimed_bytes=self.cleanup_temp(older_than_seconds))

    def free_bytes(self) -> int:
        """Free bytes on the store's filesystem, for an unprivileged user."""
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize


def _file_size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None


def _read_small(path: str, limit: int) -> bytes | None:
    """The whole file when it holds at most ``limit`` bytes, else None (read no further)."""
    fd = open_for_reading(path)
    try:
        data = os.read(fd, limit + 1)
        while data and len(data) <= limit:
            more = os.read(fd, limit + 1 - len(data))
            if not more:
                break
            data += more
        return data if len(data) <= limit else None
    finally:
        os.close(fd)
