"""Filtering and sorting a table's rows (pure), as the table viewer asks for them.

A filter is ``(column, expression)``; with no column it looks at every cell of a row.

- ``> 0.5``, ``>= 3``, ``< 1e-3``, ``<= 10``: numeric cells compared with a number
  (a cell that is not a number never matches);
- ``= cat``, ``== cat``, ``!= dog``: the cell's text equals (or not) the value; numbers
  compare as numbers when the value is one (``= 3`` matches ``3`` and ``3.0``);
- anything else: the cell's text contains the expression, ignoring case.

Sorting orders numbers before text and puts empty cells (null, NaN) last in both
directions. The answer is a list of row indices into the table.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.core.table_json import TableData, cell_text, is_number

MAX_EXPRESSION = 200
_ORDERING = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_EQUALITY = ("==", "!=", "=")
SORT_ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class RowQuery:
    """What rows to show, in which order."""

    filter_column: str = ""
    filter_expression: str = ""
    sort_column: str = ""
    sort_order: str = "asc"

    def __post_init__(self) -> None:
        if self.sort_order not in SORT_ORDERS:
            raise InvalidInputError(f"unknown sort order {self.sort_order!r}: use 'asc' or 'desc'")
        if len(self.filter_expression) > MAX_EXPRESSION:
            raise InvalidInputError(
                f"the filter is {len(self.filter_expression)} characters long; "
                f"at most {MAX_EXPRESSION} are accepted"
            )


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def cell_matcher(expression: str) -> Callable[[Any], bool]:
    """A test of one cell for a filter expression (see the module docstring)."""
    text = expression.strip()
    for symbol, compare in _ORDERING.items():
        if text.startswith(symbol):
            bound = _number(text[len(symbol) :].strip())
            if bound is None:
                raise InvalidInputError(
                    f"the filter {expression!r} compares with {text[len(symbol) :].strip()!r}, "
                    f"which is not a number; '{symbol}' needs one, as in '{symbol} 0.5'"
                )
            return lambda cell: is_number(cell) and not math.isnan(cell) and bool(compare(cell, bound))
    for symbol in _EQUALITY:
        if text.startswith(symbol):
            return _equality(text[len(symbol) :].strip(), negate=symbol == "!=")
    needle = text.casefold()
    return lambda cell: needle in cell_text(cell).casefold()


def _equality(wanted: str, negate: bool) -> Callable[[Any], bool]:
    wanted_number = _number(wanted)

    def equals(cell: Any) -> bool:
        if wanted_number is not None and is_number(cell):
            same = bool(cell == wanted_number)
        else:
            same = cell_text(cell) == wanted
        return same != negate

    return equals


def _sort_key(cell: Any) -> tuple[int, Any]:
    if is_number(cell):
        return (0, cell)
    if isinstance(cell, bool):
        return (0, int(cell))
    return (1, cell_text(cell))


def _is_empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell))


def select_rows(table: TableData, query: RowQuery) -> list[int]:
    """The indices of the rows ``query`` keeps, in its order."""
    indices: Sequence[int] = range(len(table.rows))
    rows = table.rows
    if query.filter_expression.strip():
        matches = cell_matcher(query.filter_expression)
        if query.filter_column:
            column = table.column_index(query.filter_column)
            indices = [i for i in indices if matches(rows[i][column])]
        else:
            indices = [i for i in indices if any(matches(cell) for cell in rows[i])]
    if not query.sort_column:
        return list(indices)
    column = table.column_index(query.sort_column)
    present = [i for i in indices if not _is_empty(rows[i][column])]
    empty = [i for i in indices if _is_empty(rows[i][column])]
    present.sort(key=lambda i: _sort_key(rows[i][column]), reverse=query.sort_order == "desc")
    return present + empty
