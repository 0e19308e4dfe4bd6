"""Many rows into SQLite in one statement step, for threads that run beside Python work.

``executemany`` runs one ``sqlite3_step`` per row and gives up the GIL around each.
When another thread is busy in Python at the same time (``add_dir`` hashing while the
store sink indexes a pack, the stat cache writing in the background), every row then
waits for the GIL to come back, hundreds of times slower than alone. ``insert_rows``
hands the rows over as one JSON text that SQLite expands itself (``json_each``): one
step, the GIL given up once per chunk, nearly as fast beside a busy thread as alone
(figures: benchmarks/PROFILE.md).

Values must be JSON scalars: ``str``, ``int``, ``float`` or ``None``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence

CHUNK_ROWS = 50_000
"""Rows per statement (bounds the JSON text held at once)."""


def json_chunks(values: Sequence[object]) -> Iterator[str]:
    """``values`` as JSON arrays of at most ``CHUNK_ROWS`` each, one per statement of
    ``json_each(?)``."""
    for start in range(0, len(values), CHUNK_ROWS):
        yield json.dumps(list(values[start : start + CHUNK_ROWS]))


def insert_rows(
    connection: sqlite3.Connection, head: str, rows: Sequence[Sequence[object]], width: int
) -> None:
    """Run ``head`` (e.g. ``INSERT OR IGNORE INTO t (a, b)``) for every row of ``width`` values."""
    columns = ", ".join(f"json_extract(value, '$[{index}]')" for index in range(width))
    statement = f"{head} SELECT {columns} FROM json_each(?)"
    for chunk in json_chunks(rows):
        connection.execute(statement, (chunk,))
