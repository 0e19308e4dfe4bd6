"""A pack's index rows, staged while the pack is written, so that sealing it is quick.

Sealing a pack of 20,000 small files inserted 20,000 rows into the index after the pack
was synced, with the caller waiting (the save waits for the store sink). The writer
instead copies the rows of each flushed part into a temporary table of its thread's
index connection (``sqlite_rows``: one statement per part, while the caller still
hashes); sealing then moves them into ``blobs`` with one
``INSERT ... SELECT`` in digest order. Temporary tables live in the connection's own
temporary database: staging takes no lock on the index, and nothing staged is visible
to anyone before the seal commits.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence

from archivist.core.errors import StorageError
from archivist.storage.pack_index import PackIndex
from archivist.wire import sqlite_rows

Row = tuple[str, int, int]
"""``(digest, offset, size)`` of a blob in the pack."""


class StagedRows:
    """The staged rows of one pack; all calls from the thread that writes the pack."""

    def __init__(self, index: PackIndex, pack: str) -> None:
        connection = index.connection(create=True)
        assert connection is not None
        self._connection = connection
        self._table = f"temp.staged_{pack}"
        self._staged = 0
        connection.execute(
            f"CREATE TABLE {self._table} "
            "(digest TEXT PRIMARY KEY, offset INTEGER, size INTEGER) WITHOUT ROWID"
        )

    def add(self, rows: Sequence[Row]) -> None:
        """Stage rows (a digest staged already keeps its first row, as the index would)."""
        sqlite_rows.insert_rows(
            self._connection, f"INSERT OR IGNORE INTO {self._table} (digest, offset, size)", rows, 3
        )
        self._staged += len(rows)

    def seal(
        self, connection: sqlite3.Connection, name: str, size: int, rows: Sequence[Row], written_at: float
    ) -> tuple[int, list[str]]:
        """Inside the index transaction: insert the staged rows the index does not hold yet
        (blobs another writer indexed meanwhile keep their rows) and record the pack."""
        if connection is not self._connection or self._staged != len(rows):
            raise StorageError(f"the rows of pack {name} were not staged on this connection; nothing stored")
        before = connection.total_changes
        connection.execute(
            f"INSERT OR IGNORE INTO blobs (digest, pack, offset, size) "
            f"SELECT digest, ?, offset, size FROM {self._table} ORDER BY digest",
            (name,),
        )
        count = connection.total_changes - before
        if count == len(rows):
            live = sum(length for _digest, _offset, length in rows)
        else:
            count, live = connection.execute(
                "SELECT count(*), coalesce(sum(size), 0) FROM blobs WHERE pack = ?", (name,)
            ).fetchone()
        if count:
            connection.execute(
                "INSERT INTO packs (name, bytes, live_bytes, live_count, written_at) VALUES (?, ?, ?, ?, ?)",
                (name, size, live, count, written_at),
            )
        return count, []

    def drop(self) -> None:
        """Forget the staged rows (after the seal, or when the pack is dropped)."""
        with contextlib.suppress(sqlite3.Error):  # gone with its connection: nothing to forget
            self._connection.execute(f"DROP TABLE IF EXISTS {self._table}")
