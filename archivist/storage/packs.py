"""Pack files: many small blobs appended to one file, ``<root>/packs/<random hex>.pack``.

Storing 20,000 small files as 20,000 blob files costs a temp file, a rename and an
inode each; appending them to one pack costs a few large writes. Packs are
append-only and written by one process each (unique random names), so writers
never coordinate on bytes, only on the index (``pack_index``):

- ``PackWriter`` buffers verified blobs into a new pack and *seals* it: writes the
  rest, syncs it and the ``packs/`` folder that names it, then in ONE index transaction
  (synced too) checks that the file is still there and inserts its rows. A writer killed
  before that leaves a pack with no index row, which ``remove_orphans`` deletes once it
  is old; a reader never sees its bytes. The kernel is asked to write each flushed part
  back at once, so the sync at the seal waits for little. One sync per pack of
  thousands of blobs costs little.
- ``read_packed`` reads blobs pack by pack in offset order, coalescing neighbours
  into large ``pread`` calls.
- ``compact`` rewrites the live blobs of packs whose live bytes fell under half
  (after garbage collection) into a new pack, switches their index rows to it in one
  transaction per new pack, and unlinks the old packs once no row points at them. A
  reader that finds its pack gone looks the blob up again (see ``LocalBlobStore``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from archivist.core.errors import DamagedBlobError, StorageError
from archivist.core.progress import Progress
from archivist.storage.loose import scandir_or_empty
from archivist.storage.pack_index import Location, PackIndex, known_packs
from archivist.storage.staged_rows import Row, StagedRows
from archivist.storage.syncing import make_folders, start_writeback, sync_file, sync_folder

PACK_MAX_BLOB_BYTES = 256 << 10
"""Blobs up to this size are packed; larger ones are stored as files of their own."""
PACK_MAX_BYTES = 256 << 20
"""A pack is sealed once it holds this many bytes; the next blob starts a new one."""
FLUSH_BYTES = 8 << 20
READ_WINDOW_BYTES = 16 << 20
"""Neighbouring packed blobs are read together in ``pread`` calls of up to this size..."""
READ_GAP_BYTES = 64 << 10
"""...as long as the bytes skipped between two of them stay under this."""
PACK_SUFFIX = ".pack"
PACK_MODE = 0o444
_IOV_MAX = 1024
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)

SealRows = Callable[[sqlite3.Connection, str, int, Sequence[Row]], tuple[int, list[str]]]
"""Indexes a sealed pack inside the index transaction: ``(connection, pack name, pack
bytes, rows) -> (rows now pointing at the pack, other packs left empty)``."""


def pack_path(packs_dir: str, name: str) -> str:
    return f"{packs_dir}/{name}{PACK_SUFFIX}"


class PackWriter:
    """Appends verified blobs to new packs; ``finish`` seals the last one, ``abort`` drops it.

    A pack is sealed when it reaches ``max_bytes``: its rows are indexed in one
    transaction after all its bytes are written, and it is never written again.
    """

    def __init__(
        self,
        packs_dir: str,
        index: PackIndex,
        seal_rows: SealRows | None = None,
        max_bytes: int = PACK_MAX_BYTES,
        durable: bool = True,
    ) -> None:
        self.packs_dir = packs_dir
        self.durable = durable
        """False (a cache): packs are neither written back early nor synced at the seal; their
        readers verify what they read instead."""
        self.index = index
        self.max_bytes = max_bytes
        self._seal_rows = seal_rows
        self._fd = -1
        self._name = ""
        self._size = 0
        self._written_back = 0
        self._pieces: list[bytes] = []
        """Blob bytes not written yet: written with ``writev``, never copied into one buffer."""
        self._buffered = 0
        self._rows: list[Row] = []
        self._staged: StagedRows | None = None
        """The rows of the pack being written, staged as it is flushed (no ``seal_rows`` given)."""
        self._staged_count = 0
        self.indexed = 0
        """Blobs this writer's sealed packs hold rows for."""
        self.added: list[str] = []
        """The digests added so far (packed once ``finish`` returned)."""
        self.kept_bytes = 0
        """Bytes of this writer's sealed packs that were kept (hold at least one row)."""
        self.emptied: list[str] = []
        """Other packs that sealing left without rows (compaction), now unlinked."""
        self.kept: list[str] = []
        """The names of this writer's sealed packs that were kept (hold at least one row)."""

    def add(self, digest: str, data: bytes) -> None:
        """Append one blob whose bytes were already checked against ``digest`` (and that
        nobody changes until the writer is done: they are written later, not copied)."""
        self.add_many([(digest, data)], _ignore)

    def add_many(self, blobs: Sequence[tuple[str, bytes]], report: Progress) -> None:
        """``add`` for many blobs in one loop; ``report`` gets the bytes added, a flush at a time."""
        start = 0
        while start < len(blobs):
            if self._fd < 0:
                self._open()
            rows, pieces, size = self._rows, self._pieces, self._size
            room = min(FLUSH_BYTES - self._buffered, self.max_bytes - size)
            end = start
            while end < len(blobs) and room > 0:
                digest, data = blobs[end]
                length = len(data)
                rows.append((digest, size, length))
                pieces.append(data)
                size += length
                room -= length
                end += 1
            self.added.extend(digest for digest, _data in blobs[start:end])
            report(size - self._size)
            self._buffered += size - self._size
            self._size = size
            start = end
            if self._buffered >= FLUSH_BYTES:
                self._flush()
            if size >= self.max_bytes:
                self._seal()

    def finish(self) -> None:
        if self._fd >= 0:
            self._seal()

    def abort(self) -> None:
        """Drop the pack being written (packs sealed earlier stay: they are indexed)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            with contextlib.suppress(FileNotFoundError):
                os.unlink(pack_path(self.packs_dir, self._name))
        self._pieces = []
        self._buffered = 0
        self._rows = []
        self._drop_staged()

    def _drop_staged(self) -> None:
        if self._staged is not None:
            self._staged.drop()
            self._staged = None
        self._staged_count = 0

    def _open(self) -> None:
        self.index.connection(create=True)  # the index exists before any pack it may name
        self._name = secrets.token_hex(16)
        path = pack_path(self.packs_dir, self._name)
        try:
            self._fd = os.open(path, _CREATE_FLAGS, PACK_MODE)
        except FileNotFoundError:  # packs/ was removed behind our back
            make_folders(self.packs_dir, self.durable)
            self._fd = os.open(path, _CREATE_FLAGS, PACK_MODE)
        self._size = 0
        self._written_back = 0
        if self._seal_rows is None:
            self._staged = StagedRows(self.index, self._name)

    def _flush(self) -> None:
        write_all(self._fd, self._pieces)
        if self.durable:
            start_writeback(self._fd, self._written_back, self._size - self._written_back)
        self._written_back = self._size
        self._pieces = []
        self._buffered = 0
        if self._staged is not None:  # the seal then only moves them
            self._staged.add(self._rows[self._staged_count :])
            self._staged_count = len(self._rows)

    def _seal(self) -> None:
        try:
            self._flush()
            if self.durable:  # the bytes, and the name below, are on disk before any row names them
                sync_file(self._fd)
                sync_folder(self.packs_dir)
            seal = self._seal_rows or self._seal_staged(time.time())
            with self.index.transaction() as connection:
                if os.fstat(self._fd).st_nlink == 0:
                    raise StorageError(
                        f"pack {pack_path(self.packs_dir, self._name)} was removed before it was indexed "
                        "(by cleanup_temp?); none of its blobs were stored"
                    )
                kept, emptied = seal(connection, self._name, self._size, self._rows)
        except BaseException:
            self.abort()
            raise
        os.close(self._fd)
        self._fd = -1
        self.indexed += kept
        self.kept_bytes += self._size if kept else 0
        if kept:
            self.kept.append(self._name)
        self.emptied.extend(emptied)
        unlink_packs(self.packs_dir, emptied if kept else [*emptied, self._name])
        self._rows = []
        self._drop_staged()

    def _seal_staged(self, written_at: float) -> SealRows:
        """Seal by inserting the staged rows the index does not hold yet (others keep theirs)."""
        staged = self._staged
        assert staged is not None

        def seal(
            connection: sqlite3.Connection, name: str, size: int, rows: Sequence[Row]
        ) -> tuple[int, list[str]]:
            return staged.seal(connection, name, size, rows, written_at)

        return seal


def write_all(fd: int, pieces: Sequence[bytes]) -> None:
    """Write ``pieces`` in order with ``writev``, IOV_MAX of them per call, finishing short writes."""
    start = 0
    while start < len(pieces):
        group = pieces[start : start + _IOV_MAX]
        written = os.writev(fd, group)
        start += len(group)
        if written < sum(map(len, group)):  # rare on a regular file: finish the group piece by piece
            for piece in group:
                view = memoryview(piece)[written:] if written < len(piece) else None
                written = max(written - len(piece), 0)
                while view:
                    view = view[os.write(fd, view) :]


def _ignore(_size: int) -> None:
    return None


def unlink_packs(packs_dir: str, names: Iterable[str]) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(pack_path(packs_dir, name))


def read_packed(
    packs_dir: str, located: Iterable[tuple[str, Location]], gone: list[str]
) -> Iterator[tuple[str, bytes]]:
    """``(digest, bytes)`` of packed blobs, pack by pack in offset order (one open per pack).

    Digests whose pack file is gone (compacted or emptied meanwhile) are appended to
    ``gone`` instead, for the caller to look up again.
    """
    by_pack: dict[str, list[tuple[str, Location]]] = {}
    for digest, location in located:
        by_pack.setdefault(location.pack, []).append((digest, location))
    for name, members in by_pack.items():
        members.sort(key=lambda member: member[1].offset)
        path = pack_path(packs_dir, name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            gone.extend(digest for digest, _location in members)
            continue
        try:
            for start, end, run in _runs(members):
                data = _pread_fully(fd, end - start, start)
                if len(data) < end - start:
                    digest = next(d for d, where in run if where.offset + where.size > start + len(data))
                    raise DamagedBlobError(
                        f"pack {name} holds {start + len(data)} bytes but its index names bytes up to "
                        f"{end}: blob {digest} is damaged; `archivist fsck --repair` drops what the pack "
                        "lacks, and logging those files again stores them anew",
                        digest,
                    )
                view = memoryview(data)
                for digest, location in run:
                    begin = location.offset - start
                    yield digest, bytes(view[begin : begin + location.size])
        finally:
            os.close(fd)


def _runs(members: Sequence[tuple[str, Location]]) -> Iterator[tuple[int, int, list[tuple[str, Location]]]]:
    """Group blobs sorted by offset into ``(start, end, blobs)`` ranges worth one read each."""
    run: list[tuple[str, Location]] = []
    start = end = 0
    for digest, location in members:
        stop = location.offset + location.size
        if run and (location.offset - end > READ_GAP_BYTES or stop - start > READ_WINDOW_BYTES):
            yield start, end, run
            run = []
        if not run:
            start = location.offset
            end = stop
        run.append((digest, location))
        end = max(end, stop)
    if run:
        yield start, end, run


def _pread_fully(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    if len(data) == size or not data:
        return data
    parts = [data]
    done = len(data)
    while done < size and (more := os.pread(fd, size - done, offset + done)):
        parts.append(more)
        done += len(more)
    return b"".join(parts)


# --- compaction and orphans --------------------------------------------------------------------


def _switch_rows(old: Mapping[str, Location], written_at: float) -> SealRows:
    """Seal a compacted pack: point the rows that still name their old place at the new one."""

    def seal(
        connection: sqlite3.Connection, name: str, size: int, rows: Sequence[Row]
    ) -> tuple[int, list[str]]:
        moved_from: dict[str, tuple[int, int]] = {}
        live = moved = 0
        for digest, offset, length in rows:
            was = old[digest]
            cursor = connection.execute(
                "UPDATE blobs SET pack = ?, offset = ? WHERE digest = ? AND pack = ? AND offset = ?",
                (name, offset, digest, was.pack, was.offset),
            )
            if cursor.rowcount:
                moved += 1
                live += length
                count, total = moved_from.get(was.pack, (0, 0))
                moved_from[was.pack] = (count + 1, total + length)
        if moved:
            connection.execute(
                "INSERT INTO packs (name, bytes, live_bytes, live_count, written_at) VALUES (?, ?, ?, ?, ?)",
                (name, size, live, moved, written_at),
            )
        connection.executemany(
            "UPDATE packs SET live_count = live_count - ?, live_bytes = live_bytes - ? WHERE name = ?",
            [(count, total, pack) for pack, (count, total) in moved_from.items()],
        )
        candidates = sorted({location.pack for location in old.values()})
        emptied = [
            pack
            for (pack,) in connection.execute(
                "SELECT name FROM packs WHERE live_count <= 0 "
                f"AND name IN ({','.join('?' * len(candidates))})",
                candidates,
            )
        ]
        connection.executemany("DELETE FROM packs WHERE name = ?", [(pack,) for pack in emptied])
        return moved, emptied

    return seal


def compact(packs_dir: str, index: PackIndex, max_bytes: int = PACK_MAX_BYTES) -> int:
    """Rewrite the live blobs of packs under half full into new packs; returns bytes reclaimed."""
    sparse = index.sparse_packs()
    if not sparse:
        return 0
    names = [stats.name for stats in sparse]
    rows = index.rows_in_packs(names)
    writer = PackWriter(
        packs_dir, index, _switch_rows(dict(rows), max(s.written_at for s in sparse)), max_bytes
    )
    gone: list[str] = []  # their pack was compacted by another process meanwhile: nothing to do
    try:
        for digest, data in read_packed(packs_dir, rows, gone):
            writer.add(digest, data)
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    emptied = set(writer.emptied)
    return sum(stats.bytes for stats in sparse if stats.name in emptied) - writer.kept_bytes


def remove_orphans(packs_dir: str, index: PackIndex, cutoff_ns: int) -> int:
    """Delete pack files last written before ``cutoff_ns`` that the index does not name.

    Decided and unlinked inside an index write transaction, so a writer sealing one
    of them either indexed it first (it is kept) or finds it gone (and stores nothing).
    Returns the bytes reclaimed.
    """
    candidates: dict[str, tuple[str, int]] = {}
    for entry in scandir_or_empty(packs_dir):
        if not entry.name.endswith(PACK_SUFFIX):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if st.st_mtime_ns <= cutoff_ns:
            candidates[entry.name[: -len(PACK_SUFFIX)]] = (entry.path, st.st_size)
    if not candidates:
        return 0
    reclaimed = 0
    with index.transaction() as connection:
        named = known_packs(connection, sorted(candidates))
        for name, (path, size) in candidates.items():
            if name not in named:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                    reclaimed += size
    return reclaimed
