"""Runs selected by W&B's filters, and deleting a run.

The filter is checked here again (a server takes it from the wire) and compiled to SQL
by ``archivist.metadata.run_filter_sql``: the database picks and orders the runs.
A running run whose process died reads as crashed (``runs.settle_crashed``); a filter
on ``state`` sees that, because such runs of the project are settled before the query.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select, delete, func, select, update

from archivist.core.errors import InvalidInputError
from archivist.core.models import RunQuery, RunRecord, RunRef, RunState
from archivist.core.run_filters import mentions, parse_run_filters, parse_run_order
from archivist.metadata.engine import read_transaction
from archivist.metadata.run_filter_sql import regex_refusals, run_filter_clause, run_order_key
from archivist.metadata.schema import (
    entities,
    logged_edges,
    projects,
    run_files,
    run_history,
    runs,
    used_edges,
    versions,
)
from archivist.service.records import run_select
from archivist.service.runs import require_run, settle_crashed
from archivist.service.validation import validate_count


def query_runs(engine: Engine, query: RunQuery) -> list[RunRecord]:
    statement, tree = _selected_runs(engine, query)
    order_field, descending = parse_run_order(query.order)
    offset = _bounded(validate_count(query.offset, "offset"), "offset")
    limit = _bounded(validate_count(query.limit, "limit", optional=True), "limit")
    dialect = engine.dialect.name
    keys = run_order_key(dialect, order_field)
    for key in keys if isinstance(keys, tuple) else (keys,):
        statement = statement.order_by(key.desc().nulls_last() if descending else key.asc().nulls_last())
    statement = statement.order_by(runs.c.id.desc() if descending else runs.c.id.asc())
    statement = statement.offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    with regex_refusals(tree, "run"), read_transaction(engine) as connection:
        rows = connection.execute(statement).all()
    return settle_crashed(engine, rows)


def count_runs(engine: Engine, query: RunQuery) -> int:
    statement, tree = _selected_runs(engine, query)
    parse_run_order(query.order)
    counted = select(func.count()).select_from(statement.with_only_columns(runs.c.id).subquery())
    with regex_refusals(tree, "run"), read_transaction(engine) as connection:
        return int(connection.execute(counted).scalar_one())


def _selected_runs(engine: Engine, query: RunQuery) -> tuple[Select[Any], Any]:
    """The runs ``query``'s filters select (unordered), and the parsed filter."""
    if not isinstance(query, RunQuery):
        raise InvalidInputError(f"expected a RunQuery, got {type(query).__name__}: {query!r}")
    tree = parse_run_filters(query.filters)
    in_project = (entities.c.name == query.entity, projects.c.name == query.project)
    if tree is not None and mentions(tree, lambda c: c.field.column == "state"):
        _settle_running(engine, in_project)
    statement = run_select().where(*in_project)
    if tree is not None:
        statement = statement.where(run_filter_clause(engine.dialect.name, tree))
    return statement, tree


def delete_run(connection: Connection, ref: RunRef) -> None:
    """The run goes with its history, files and edges; the versions it logged stay."""
    pk = require_run(connection, ref).id
    connection.execute(update(versions).where(versions.c.producer_run_id == pk).values(producer_run_id=None))
    for table in (run_history, run_files, logged_edges, used_edges):
        connection.execute(delete(table).where(table.c.run_pk == pk))
    connection.execute(delete(runs).where(runs.c.id == pk))


def _settle_running(engine: Engine, in_project: tuple[Any, ...]) -> None:
    statement = run_select().where(*in_project, runs.c.state == RunState.RUNNING.value)
    with read_transaction(engine) as connection:
        rows = connection.execute(statement).all()
    settle_crashed(engine, rows)


N = TypeVar("N", int, int | None)
MAX_COUNT = 2**62


def _bounded(value: N, what: str) -> N:
    if value is not None and value > MAX_COUNT:
        raise InvalidInputError(f"invalid {what} {value!r}: at most {MAX_COUNT}")
    return value
