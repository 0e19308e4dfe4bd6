"""W&B's run filters (``archivist.core.run_filters``) as SQL over the ``runs`` table.

Keys inside ``config`` and ``summary`` are read by the database (SQLite's JSON1
``json_type``/``json_extract``, PostgreSQL's ``jsonb`` path operators), never by loading
runs into Python. Comparisons follow MongoDB, as W&B's filters do: a comparison matches
only values of the same kind (a number with a number, a string with a string),
``$ne``/``$nin`` also match a run lacking the key, ``{key: None}`` matches null or
missing, and a list field (``tags``) matches when any element does.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Numeric,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import KeyedColumnElement

from archivist.core.errors import InvalidInputError
from archivist.core.run_filters import Combined, Condition, Field, Filter, mentions
from archivist.metadata.schema import runs

_PLAIN_COLUMNS: dict[str, KeyedColumnElement[Any]] = {
    "state": runs.c.state,
    "job_type": runs.c.job_type,
    "group": runs.c.group_name,
    "display_name": runs.c.name,
    "run_id": runs.c.run_id,
    "notes": runs.c.notes,
    "created_at": runs.c.created_at,
    "updated_at": runs.c.updated_at,
}
_JSON_COLUMNS = {"config": runs.c.config, "summary": runs.c.summary}


@dataclass(frozen=True)
class FilterColumns:
    """Where a filter's fields live: plain columns, JSON documents (``Field.path`` keys
    inside), and JSON arrays of strings (a condition holds when some element does)."""

    plain: Mapping[str, Any]
    json: Mapping[str, Any] = field(default_factory=dict)
    lists: Mapping[str, Elements] = field(default_factory=dict)


Elements = Callable[[str], tuple[Any, Any]]
"""For a dialect: a ``SELECT 1 FROM ...`` correlated to the filtered row, and its element column."""


def json_array_elements(array: Any) -> Elements:
    """The elements of a JSON array column of strings."""

    def elements(dialect: str) -> tuple[Any, Any]:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            tag = func.jsonb_array_elements_text(cast(array, JSONB)).table_valued("value").alias("tag")
        else:
            tag = func.json_each(array).table_valued("value").alias("tag")
        return select(1).select_from(tag), cast(tag.c.value, String)

    return elements


def row_elements(column: Any, owner: Any, owner_key: Any) -> Elements:
    """The values of ``column`` in its rows whose ``owner`` is the filtered row's ``owner_key``."""
    return lambda dialect: (select(1).where(owner == owner_key), column)


RUN_COLUMNS = FilterColumns(_PLAIN_COLUMNS, _JSON_COLUMNS, {"tags": json_array_elements(runs.c.tags)})


class JsonValue:
    """One key path inside a JSON column, seen as each kind of value it may hold (an
    expression that is NULL when the value is of another kind or absent)."""

    kind: Any
    _text: Any
    _kinds: dict[str, tuple[str, ...]]

    def __init__(self, dialect: str, column: Any, path: tuple[str, ...]) -> None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY, JSONB

            document = cast(column, JSONB)
            element = document.op("#>")(literal(list(path), type_=ARRAY(String)))
            self.kind = func.jsonb_typeof(element)
            self._text = document.op("#>>")(literal(list(path), type_=ARRAY(String)))
            self._kinds = {"number": ("number",), "string": ("string",), "boolean": ("boolean",)}
            self._null = "null"
            self.boolean = case((self.kind == "boolean", self._text == "true"))
            # numeric, not float8: an infinite summary is stored as ±9e999 (beyond float8),
            # read back here as numeric's ±Infinity
            self._number_type: Any = Numeric
            number = cast(self._text, Numeric)
            stored_infinity = cast(literal("9e999"), Numeric)
            plus, minus = cast(literal("Infinity"), Numeric), cast(literal("-Infinity"), Numeric)
            self.number = case(
                (and_(self.kind == "number", number >= stored_infinity), plus),
                (and_(self.kind == "number", number <= -stored_infinity), minus),
                (self.kind == "number", number),
            )
        else:
            json_path = "$" + "".join(f'."{key}"' for key in path)
            self.kind = func.json_type(column, json_path)
            self._text = func.json_extract(column, json_path)
            self._kinds = {"number": ("integer", "real"), "string": ("text",), "boolean": ("true", "false")}
            self._null = "null"
            self.boolean = case((self.kind.in_(("true", "false")), self.kind == "true"))
            self._number_type = Float  # SQLite reads 9e999 as an infinite real
            self.number = case((self.kind.in_(("integer", "real")), cast(self._text, Float)))
        self.string = case((self.kind.in_(self._kinds["string"]), cast(self._text, String)))

    def exists(self) -> ColumnElement[bool]:
        return _clause(self.kind.is_not(None))

    def is_null_or_missing(self) -> ColumnElement[bool]:
        return or_(self.kind.is_(None), self.kind == self._null)

    def number_literal(self, value: float) -> Any:
        """A number to compare with ``number`` (±infinity included)."""
        return cast(literal(float(value), Float), self._number_type)

    def typed(self, value: Any) -> Any:
        """The expression of the kind ``value`` is."""
        if isinstance(value, bool):
            return self.boolean
        if isinstance(value, int | float):
            return self.number
        return self.string


@contextmanager
def regex_refusals(tree: Filter | None, subject: str) -> Iterator[None]:
    """A ``$regex`` the database refuses (PostgreSQL's regular expressions are not Python's)
    as an ``InvalidInputError`` naming the database's reason."""
    try:
        yield
    except DBAPIError as error:
        if tree is None or not mentions(tree, lambda c: c.op == "$regex"):
            raise
        reason = str(error.orig).splitlines()[0]
        raise InvalidInputError(
            f"the database refused a $regex of these {subject} filters: {reason}"
        ) from None


def run_filter_clause(dialect: str, tree: Filter) -> ColumnElement[bool]:
    """The WHERE clause of ``tree`` on the ``runs`` table, for ``dialect`` ('sqlite' or 'postgresql')."""
    return filter_clause(dialect, tree, RUN_COLUMNS)


def filter_clause(dialect: str, tree: Filter, columns: FilterColumns) -> ColumnElement[bool]:
    """The WHERE clause of ``tree`` over ``columns``, for ``dialect`` ('sqlite' or 'postgresql')."""
    if isinstance(tree, Combined):
        parts = [filter_clause(dialect, part, columns) for part in tree.parts]
        if tree.op == "$and":
            return and_(*parts)
        if tree.op == "$or":
            return or_(*parts)
        return not_(or_(*parts))
    return _decided(_condition(dialect, tree, columns))


def run_order_key(dialect: str, field: Field) -> Any:
    """What to sort on for an order field: the column, or a JSON key's value (numbers
    before strings, a run lacking it last)."""
    if not field.is_json:
        return _PLAIN_COLUMNS[field.column]
    value = JsonValue(dialect, _JSON_COLUMNS[field.column], field.path)
    return value.number, value.string


def _clause(expression: Any) -> ColumnElement[bool]:
    """A condition built from untyped column expressions, typed as the condition it is."""
    return typing.cast("ColumnElement[bool]", expression)


def _decided(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """``clause`` as true or false, never NULL, so that NOT and $nor keep MongoDB's meaning."""
    return case((clause, true()), else_=false())


def _condition(dialect: str, condition: Condition, columns: FilterColumns) -> ColumnElement[bool]:
    field, op, value = condition.field, condition.op, condition.value
    if op == "$ne":
        return not_(_decided(_condition(dialect, Condition(field, "$eq", value), columns)))
    if op == "$nin":
        return not_(_decided(_condition(dialect, Condition(field, "$in", value), columns)))
    if op == "$in":
        if not value:
            return false()
        return or_(*(_decided(_condition(dialect, Condition(field, "$eq", item), columns)) for item in value))
    if field.column in columns.lists:
        return _elements(dialect, columns.lists[field.column], op, value)
    if field.is_json:
        return _json(JsonValue(dialect, columns.json[field.column], field.path), op, value)
    return _plain(columns.plain[field.column], op, value)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "$eq": lambda a, b: a == b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def _json(json: JsonValue, op: str, value: Any) -> ColumnElement[bool]:
    if op == "$exists":
        return json.exists() if value else not_(json.exists())
    if op == "$regex":
        return _clause(json.string.regexp_match(value))
    if op == "$contains":
        return _clause(json.string.contains(value, autoescape=True))
    if value is None:
        return json.is_null_or_missing()
    typed = json.typed(value)
    if isinstance(value, bool):
        return _clause(typed == literal(value, Boolean))  # only $eq: the parser refuses ordering booleans
    operand = json.number_literal(value) if isinstance(value, int | float) else literal(value, String)
    compared: ColumnElement[bool] = _COMPARE[op](typed, operand)
    return compared


def _plain(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "$exists":
        return _clause(column.is_not(None) if value else column.is_(None))
    if op == "$regex":
        return _clause(column.regexp_match(value))
    if op == "$contains":
        return _clause(column.contains(value, autoescape=True))
    if value is None:
        return _clause(column.is_(None))
    if isinstance(value, dt.datetime | int | float):
        compared: ColumnElement[bool] = _COMPARE[op](column, value)
        return compared
    return _COMPARE[op](column, literal(value, String))  # type: ignore[no-any-return]


def _elements(dialect: str, elements: Elements, op: str, value: Any) -> ColumnElement[bool]:
    """A condition on a list (tags, aliases) holds when some element satisfies it
    (MongoDB's array matching)."""
    if op == "$exists":
        return true() if value else false()
    if value is None:
        return false()
    source, element = elements(dialect)
    if op == "$regex":
        test = element.regexp_match(value)
    elif op == "$contains":
        test = element.contains(value, autoescape=True)
    else:
        test = _COMPARE[op](element, literal(str(value), String))
    return exists(source.where(test))
