"""The pack index: where each packed blob lives, in ``<root>/packs/index.sqlite``.

Tables (stdlib sqlite3 in WAL mode, so several processes share one store)::

    blobs(digest PRIMARY KEY, pack, offset, size)                  WITHOUT ROWID
    packs(name PRIMARY KEY, bytes, live_bytes, live_count, written_at)  WITHOUT ROWID

Invariants the pack code keeps:

- a ``blobs`` row is inserted only after its pack's bytes are fully written, in one
  transaction per pack, together with that pack's ``packs`` row;
- a pack file that has no ``packs`` row is either still being written or garbage
  (a killed writer's); bytes already in a pack are never rewritten;
- ``live_bytes``/``live_count`` count the pack's rows, so a pack whose live bytes fall
  under half its size is found without scanning ``blobs``.

Writers take the write lock up front (``BEGIN IMMEDIATE``) and commit durably
(``synchronous=FULL``: writes are per batch, so the fsync is cheap); readers use
autocommit statements. Each thread has its own connection, reopened after ``fork``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from archivist.core.errors import StorageError
from archivist.storage.syncing import make_folders
from archivist.wire import sqlite_rows

INDEX_FILE = "index.sqlite"
BUSY_TIMEOUT_SECONDS = 60.0
QUERY_CHUNK = 500
"""Digests per ``IN (...)`` query (SQLite allows 32,766 parameters; smaller keeps plans cheap)."""
PAGE_SIZE = 1000
SCAN_FRACTION = 8
_UNINDEXED = (
    "SELECT j.value FROM json_each(?) AS j "
    "WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE blobs.digest = j.value)"
)
"""A lookup of at least 1/8 of the index's rows reads the whole index instead."""

_INHERITED: list[sqlite3.Connection] = []
"""Connections a forked child inherited: kept referenced, so that closing them in the child
cannot disturb the parent's (SQLite must not carry a connection across ``fork``)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blobs (
    digest TEXT PRIMARY KEY,
    pack TEXT NOT NULL,
    offset INTEGER NOT NULL,
    size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS packs (
    name TEXT PRIMARY KEY,
    bytes INTEGER NOT NULL,
    live_bytes INTEGER NOT NULL,
    live_count INTEGER NOT NULL,
    written_at REAL NOT NULL
) WITHOUT ROWID;
"""


class Location(NamedTuple):
    """Where a packed blob's bytes are: ``size`` bytes at ``offset`` of pack file ``pack``."""

    pack: str
    offset: int
    size: int


@dataclass(frozen=True)
class PackStats:
    name: str
    bytes: int
    live_bytes: int
    written_at: float


def chunks(items: Sequence[str], size: int = QUERY_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _placeholders(count: int) -> str:
    return ",".join("?" * count)


class PackIndex:
    """The index database of one store; opened lazily, created only by writers."""

    def __init__(self, path: str, durable: bool = True) -> None:
        self.path = path
        self.durable = durable
        """False (a cache): commits are not synced (WAL ``synchronous=NORMAL``): a power cut may
        lose the last ones, never the index's consistency."""
        self._local = threading.local()

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def connection(self, create: bool = False) -> sqlite3.Connection | None:
        """This thread's connection; None when the index does not exist and ``create`` is False."""
        local = self._local
        pid = getattr(local, "pid", None)
        if pid == os.getpid():
            return local.connection  # type: ignore[no-any-return]
        if pid is not None:  # forked: never use (nor close) the parent's connection here
            _INHERITED.append(local.connection)
            del local.connection, local.pid
        if not create and not os.path.exists(self.path):
            return None
        make_folders(os.path.dirname(self.path), self.durable)  # SQLite syncs the index's own name in it
        local.connection, local.pid = _connect(self.path, self.durable), os.getpid()
        return local.connection  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the index's write lock (``BEGIN IMMEDIATE``)."""
        connection = self.connection(create=True)
        assert connection is not None
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StorageError(f"cannot write the pack index {self.path}: {error}") from None
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    # --- reads -------------------------------------------------------------------------------
    def locate(self, digests: Sequence[str]) -> dict[str, Location]:
        """The location of every packed digest among ``digests``."""
        connection = self.connection()
        if connection is None or not digests:
            return {}
        return locate(connection, digests)

    def sizes(self, digests: Sequence[str]) -> dict[str, int]:
        """The size of every packed digest among ``digests`` (what ``missing`` needs)."""
        connection = self.connection()
        if connection is None or not digests:
            return {}
        return dict(_select(connection, "digest, size", digests))

    def unindexed(self, digests: Sequence[str]) -> list[str]:
        """The digests among ``digests`` (distinct) that have no row.

        One statement per chunk that returns only the absent ones: checking thousands of
        held blobs builds no rows in Python and gives up the GIL once, not once per row
        (which, beside a busy thread, costs a wait for the GIL each; see ``wire.sqlite_rows``).
        """
        connection = self.connection()
        if connection is None:
            return list(digests)
        absent: list[str] = []
        for chunk in sqlite_rows.json_chunks(digests):
            absent.extend(row[0] for row in connection.execute(_UNINDEXED, (chunk,)))
        return absent

    def iter_digests(self) -> Iterator[str]:
        """Every packed digest, in pages (safe while the caller deletes some of them)."""
        connection = self.connection()
        if connection is None:
            return
        last = ""
        while True:
            page = [
                row[0]
                for row in connection.execute(
                    "SELECT digest FROM blobs WHERE digest > ? ORDER BY digest LIMIT ?", (last, PAGE_SIZE)
                )
            ]
            yield from page
            if len(page) < PAGE_SIZE:
                return
            last = page[-1]

    def iter_rows(self) -> Iterator[tuple[str, Location]]:
        """Every row as ``(digest, location)``, in pages of digests (for ``fsck``)."""
        connection = self.connection()
        if connection is None:
            return
        last = ""
        while True:
            page = connection.execute(
                "SELECT digest, pack, offset, size FROM blobs WHERE digest > ? ORDER BY digest LIMIT ?",
                (last, PAGE_SIZE),
            ).fetchall()
            yield from ((digest, Location(pack, offset, size)) for digest, pack, offset, size in page)
            if len(page) < PAGE_SIZE:
                return
            last = page[-1][0]

    def written_at(self, digests: Sequence[str]) -> dict[str, float]:
        """When each packed digest's pack was written (seconds since the epoch)."""
        connection = self.connection()
        found: dict[str, float] = {}
        if connection is None:
            return found
        for chunk in chunks(digests):
            found.update(
                connection.execute(
                    "SELECT b.digest, p.written_at FROM blobs b JOIN packs p ON p.name = b.pack "
                    f"WHERE b.digest IN ({_placeholders(len(chunk))})",
                    chunk,
                )
            )
        return found

    def sparse_packs(self) -> list[PackStats]:
        """Packs whose live bytes are under half their size."""
        connection = self.connection()
        if connection is None:
            return []
        rows = connection.execute(
            "SELECT name, bytes, live_bytes, written_at FROM packs WHERE live_bytes * 2 < bytes ORDER BY name"
        )
        return [PackStats(*row) for row in rows]

    def rows_in_packs(self, names: Sequence[str]) -> list[tuple[str, Location]]:
        """``(digest, location)`` of every row in the named packs, in (pack, offset) order."""
        connection = self.connection()
        if connection is None or not names:
            return []
        rows = connection.execute(
            "SELECT digest, pack, offset, size FROM blobs "
            f"WHERE pack IN ({_placeholders(len(names))}) ORDER BY pack, offset",
            list(names),
        )
        return [(digest, Location(pack, offset, size)) for digest, pack, offset, size in rows]

    def known_packs(self, names: Iterable[str]) -> set[str]:
        """Those of ``names`` that have a ``packs`` row."""
        connection = self.connection()
        wanted = list(names)
        if connection is None or not wanted:
            return set()
        return known_packs(connection, wanted)

    # --- writes ------------------------------------------------------------------------------
    def delete(self, digests: Sequence[str]) -> list[str]:
        """Remove the rows of ``digests``; returns the packs left with no rows (now garbage)."""
        if self.connection() is None or not digests:
            return []
        with self.transaction() as connection:
            found = locate(connection, digests)
            freed: dict[str, tuple[int, int]] = {}
            for location in found.values():
                size, count = freed.get(location.pack, (0, 0))
                freed[location.pack] = (size + location.size, count + 1)
            connection.executemany("DELETE FROM blobs WHERE digest = ?", [(digest,) for digest in found])
            connection.executemany(
                "UPDATE packs SET live_bytes = live_bytes - ?, live_count = live_count - ? WHERE name = ?",
                [(size, count, pack) for pack, (size, count) in freed.items()],
            )
            emptied = [
                name
                for chunk in chunks(sorted(freed))
                for (name,) in connection.execute(
                    f"SELECT name FROM packs WHERE live_count <= 0 AND name IN ({_placeholders(len(chunk))})",
                    chunk,
                )
            ]
            connection.executemany("DELETE FROM packs WHERE name = ?", [(name,) for name in emptied])
        return emptied


def locate(connection: sqlite3.Connection, digests: Sequence[str]) -> dict[str, Location]:
    rows = _select(connection, "digest, pack, offset, size", digests)
    return {digest: Location(pack, offset, size) for digest, pack, offset, size in rows}


def _select(
    connection: sqlite3.Connection, columns: str, digests: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """``columns`` of the ``blobs`` rows of ``digests`` (``digest`` first). Asking for a good
    share of the index (a re-log asks for every blob it holds) scans it, which is several times
    faster than as many key lookups; otherwise one ``IN (...)`` query per chunk."""
    total = connection.execute("SELECT coalesce(sum(live_count), 0) FROM packs").fetchone()[0]
    if len(digests) * SCAN_FRACTION >= total:
        wanted = set(digests)
        for row in connection.execute(f"SELECT {columns} FROM blobs"):
            if row[0] in wanted:
                yield row
        return
    for chunk in chunks(digests):
        yield from connection.execute(
            f"SELECT {columns} FROM blobs WHERE digest IN ({_placeholders(len(chunk))})", chunk
        )


def known_packs(connection: sqlite3.Connection, names: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(names):
        rows = connection.execute(
            f"SELECT name FROM packs WHERE name IN ({_placeholders(len(chunk))})", chunk
        )
        found.update(row[0] for row in rows)
    return found


CACHE_KIB = 32 << 10
"""The index connection's page cache, at most (SQLite's default is 2 MB)."""


def _connect(path: str, durable: bool = True) -> sqlite3.Connection:
    """A connection in WAL mode with the schema in place (created if missing)."""
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error as error:
        raise StorageError(f"cannot open the pack index {path}: {error}") from None
    _retry_while_locked(lambda: connection.execute("PRAGMA journal_mode=WAL"))
    # durable: a commit is on disk before its packs' unlinks
    connection.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")  # a pack's rows touch many pages
    has_schema = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('blobs', 'packs')"
    ).fetchone()[0]
    if has_schema != 2:
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    return connection


def _retry_while_locked(action: Callable[[], object], attempts: int = 200) -> None:
    """Switching to WAL needs a moment alone with the file; other openers may hold it."""
    for attempt in range(attempts):
        try:
            action()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.01)
