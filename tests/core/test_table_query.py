"""Filtering and sorting a table's rows as the table viewer asks for them."""

from __future__ import annotations

import math

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.table_json import TableData
from archivist.core.table_query import RowQuery, select_rows

TABLE = TableData(
    columns=("id", "score", "label", "meta"),
    rows=(
        (0, 0.5, "cat", {"k": 1}),
        (1, None, "Dog", [1, 2]),
        (2, 0.9, "cat", None),
        (3, 3, "bird", "x"),
        (4, math.nan, "doggo", True),
        (5, -1.0, 7, "cat"),
    ),
    column_types={},
)


@pytest.mark.parametrize(
    ("column", "expression", "expected"),
    [
        ("score", "> 0.5", [2, 3]),
        ("score", ">= 0.5", [0, 2, 3]),
        ("score", "<0", [5]),
        ("score", "<= 3", [0, 2, 3, 5]),
        ("score", "= 3", [3]),
        ("score", "== 3.0", [3]),
        ("label", "= cat", [0, 2]),
        ("label", "!= cat", [1, 3, 4, 5]),
        ("label", "= 7", [5]),
        ("label", "dog", [1, 4]),  # contains, ignoring case
        ("meta", '"k"', [0]),  # nested values match on their compact JSON
        ("", "cat", [0, 2, 5]),  # any column
        ("label", "   ", [0, 1, 2, 3, 4, 5]),  # an empty filter keeps every row
    ],
)
def test_filters(column: str, expression: str, expected: list[int]) -> None:
    assert select_rows(TABLE, RowQuery(column, expression)) == expected


def test_sorting_puts_numbers_before_text_and_empty_cells_last_both_ways() -> None:
    assert select_rows(TABLE, RowQuery(sort_column="score")) == [5, 0, 2, 3, 1, 4]
    assert select_rows(TABLE, RowQuery(sort_column="score", sort_order="desc")) == [3, 2, 0, 5, 1, 4]
    assert select_rows(TABLE, RowQuery(sort_column="label")) == [5, 1, 3, 0, 2, 4]


def test_filter_then_sort() -> None:
    assert select_rows(TABLE, RowQuery("label", "!= cat", "id", "desc")) == [5, 4, 3, 1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (lambda: RowQuery(sort_column="id", sort_order="up"), "unknown sort order 'up': use 'asc' or 'desc'"),
        (lambda: RowQuery("score", "x" * 201), "at most 200 are accepted"),
    ],
)
def test_bad_queries_are_refused(query: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        query()  # type: ignore[operator]


def test_a_comparison_needs_a_number_and_columns_must_exist() -> None:
    with pytest.raises(InvalidInputError, match="'> high'.*'high', which is not a number; '>' needs one"):
        select_rows(TABLE, RowQuery("score", "> high"))
    with pytest.raises(InvalidInputError, match="no column 'nope'"):
        select_rows(TABLE, RowQuery("nope", "x"))
    with pytest.raises(InvalidInputError, match="no column 'nope'"):
        select_rows(TABLE, RowQuery(sort_column="nope"))
