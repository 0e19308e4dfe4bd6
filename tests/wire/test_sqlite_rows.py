"""sqlite_rows.insert_rows: many rows in one statement step, values as given, in chunks."""

from __future__ import annotations

import sqlite3

import pytest

from archivist.wire import sqlite_rows


@pytest.fixture
def connection() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE TABLE t (name TEXT PRIMARY KEY, number INTEGER, ratio REAL, note TEXT)")
    return connection


def test_values_keep_their_types_and_or_ignore_applies(connection: sqlite3.Connection) -> None:
    rows = [("a", 1, 0.5, None), ("b", 2**62, -1.25, "text with 'quotes' and \\n"), ("a", 9, 9.0, "dup")]
    sqlite_rows.insert_rows(connection, "INSERT OR IGNORE INTO t (name, number, ratio, note)", rows, 4)
    assert connection.execute("SELECT * FROM t ORDER BY name").fetchall() == [rows[0], rows[1]]


def test_rows_go_in_chunks(connection: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_rows, "CHUNK_ROWS", 7)
    rows = [(f"n{i:03d}", i, float(i), None) for i in range(50)]
    sqlite_rows.insert_rows(connection, "INSERT INTO t (name, number, ratio, note)", rows, 4)
    assert connection.execute("SELECT * FROM t ORDER BY name").fetchall() == rows


def test_twenty_thousand_rows_are_one_statement(connection: sqlite3.Connection) -> None:
    """The reason for the module: one statement (one step without the GIL), not one per row."""
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    rows = [(f"n{i:05d}", i, 0.0, None) for i in range(20_000)]
    sqlite_rows.insert_rows(connection, "INSERT INTO t (name, number, ratio, note)", rows, 4)
    connection.set_trace_callback(None)
    assert len(statements) == 1 and "json_each" in statements[0]
    assert connection.execute("SELECT count(*), sum(number) FROM t").fetchone() == (
        20_000,
        sum(range(20_000)),
    )
