"""The statements whose SQL differs between SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, String, Table, bindparam, func
from sqlalchemy.sql.selectable import TableValuedAlias


def insert_ignoring_conflict(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]] | dict[str, Any],
    conflict_columns: Sequence[str],
    conflict_where: ColumnElement[bool] | None = None,
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on the unique key ``conflict_columns``
    (a partial unique index needs its ``conflict_where``; none: on any unique key)."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        statement: Any = postgresql_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table)
    statement = statement.on_conflict_do_nothing(
        index_elements=list(conflict_columns) or None, index_where=conflict_where
    )
    connection.execute(statement, rows)


VALUES_PER_STATEMENT = 50_000
"""Values per statement of ``insert_values`` (bounds the parameter held at once)."""


def insert_values(
    connection: Connection, table: Table, key: tuple[str, int], column: str, values: Sequence[str]
) -> None:
    """INSERT one row ``(key value, value)`` into ``table`` for each of ``values``: the values
    go as one parameter that the database expands itself (SQLite ``json_each``, PostgreSQL
    ``unnest``), one statement per ``VALUES_PER_STATEMENT`` rows.

    For tens of thousands of rows this beats the driver's ``executemany``, whose cost is one
    statement step (and SQLAlchemy's, one parameter set) per row (figures: benchmarks/PROFILE.md).
    """
    key_column, key_value = key
    pack: Callable[[list[str]], object]
    if connection.dialect.name == "postgresql":
        expand, pack = "SELECT %s, unnest(%s::text[])", list
    else:
        expand, pack = "SELECT ?, value FROM json_each(?)", json.dumps
    statement = f"INSERT INTO {table.name} ({key_column}, {column}) {expand}"
    for start in range(0, len(values), VALUES_PER_STATEMENT):
        chunk = pack(list(values[start : start + VALUES_PER_STATEMENT]))
        connection.exec_driver_sql(statement, (key_value, chunk))


def first_column(connection: Connection, statement: Select[Any]) -> list[Any]:
    """The first column of every row of ``statement`` (plain values: no type conversion).

    On SQLite the rows are read straight from the driver: SQLAlchemy's row handling costs
    about as much again as the driver's reading (figures: benchmarks/PROFILE.md).
    """
    if connection.dialect.name != "sqlite":
        return list(connection.execute(statement).scalars())
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    cursor = connection.connection.driver_connection.execute(str(compiled), params)  # type: ignore[union-attr]
    return [row[0] for row in cursor]


def value_set(connection: Connection, values: Sequence[str]) -> TableValuedAlias:
    """``values`` as a one-column table (column ``value``) passed as one parameter that the
    database expands itself (SQLite ``json_each``, PostgreSQL ``unnest``): a set of tens of
    thousands of digests to join against, without an ``IN (...)`` list per 900 of them."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        param = bindparam(None, list(values), type_=ARRAY(String))
        return func.unnest(param).table_valued("value").render_derived()
    return func.json_each(json.dumps(list(values))).table_valued("value")
