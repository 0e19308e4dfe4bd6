"""The columns a chart reads: a spec's field mapping resolved against a table's columns.
A table that lacks what a chart needs raises InvalidInputError saying what is missing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from archivist.core.chart_spec import ChartSpec
from archivist.core.errors import InvalidInputError
from archivist.core.table_json import TableData, cell_text, is_finite_number

MAX_POINTS = 5000
"""Longer series are thinned to this many evenly spaced points."""


def column_for(
    spec: ChartSpec, table: TableData, chart_field: str, position: int | None = None
) -> int | None:
    """The table column a chart field reads: the spec's mapping, else a column named like the
    field, else the column at ``position``; None when the field is optional and absent."""
    mapped = spec.fields.get(chart_field)
    if mapped:
        if mapped not in table.columns:
            raise InvalidInputError(
                f"the chart maps field {chart_field!r} to column {mapped!r}, which the table does not have; "
                f"its columns are {', '.join(map(repr, table.columns))}"
            )
        return table.columns.index(mapped)
    if chart_field in table.columns:
        return table.columns.index(chart_field)
    if position is not None and position < len(table.columns):
        return position
    return None


def required(spec: ChartSpec, table: TableData, chart_field: str, position: int) -> int:
    found = column_for(spec, table, chart_field, position)
    if found is None:
        raise InvalidInputError(
            f"the chart needs a column for field {chart_field!r}; the table has {len(table.columns)} columns"
        )
    return found


def column_name(table: TableData, index: int | None) -> str:
    return "" if index is None else table.columns[index]


def numbers(rows: Sequence[Sequence[Any]], column: int) -> list[float]:
    return [float(row[column]) for row in rows if is_finite_number(row[column])]


def points(rows: Sequence[Sequence[Any]], x: int, y: int) -> list[tuple[float, float]]:
    """The rows' (x, y) pairs where both cells are finite numbers."""
    return [
        (float(row[x]), float(row[y]))
        for row in rows
        if is_finite_number(row[x]) and is_finite_number(row[y])
    ]


def groups(rows: Sequence[Sequence[Any]], column: int | None) -> dict[str, list[Sequence[Any]]]:
    """Rows by the text of their ``column`` cell, in first-seen order (one group without a column)."""
    if column is None:
        return {"": list(rows)}
    grouped: dict[str, list[Sequence[Any]]] = {}
    for row in rows:
        grouped.setdefault(cell_text(row[column]), []).append(row)
    return grouped


def thinned(values: list[tuple[float, float]], limit: int = MAX_POINTS) -> list[tuple[float, float]]:
    if len(values) <= limit:
        return values
    stride = math.ceil(len(values) / limit)
    return [*values[::stride][: limit - 1], values[-1]]
