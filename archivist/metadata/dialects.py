"""The statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflict(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]] | dict[str, Any],
    conflict_columns: Sequence[str],
    conflict_where: ColumnElement[bool] | None = None,
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on the unique key ``conflict_columns``
    (a partial unique index needs its ``conflict_where``)."""
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(
        index_elements=list(conflict_columns), index_where=conflict_where
    )
    connection.execute(statement, rows)


def insert_many_plain(
    connection: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT many rows of plain values (no type processing) with the driver's own executemany.

    For tens of thousands of rows SQLAlchemy's per-row parameter handling costs more than
    the inserts themselves; this passes the tuples straight to the driver.
    """
    if not rows:
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(columns)
    marks = ", ".join([mark] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
