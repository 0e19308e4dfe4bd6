"""W&B's run filters (MongoDB-style), checked and turned into a small tree.

``Api().runs(path, filters={...})`` takes what W&B takes::

    {"$and": [{"config.lr": {"$gt": 0.01}}, {"summary_metrics.acc": {"$gte": 0.9}}],
     "state": "finished", "tags": {"$in": ["best"]}, "createdAt": {"$gt": "2025-01-01"}}

``parse_run_filters`` checks every key, operator and value and answers a ``Filter``
tree the metadata layer compiles to SQL (``archivist.metadata.run_filter_sql``); a bad
operator or field is an ``InvalidInputError`` naming it and what is allowed. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from archivist.core.errors import InvalidInputError

LOGICAL = ("$and", "$or", "$nor")
COMPARISONS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$exists")
OPERATORS = LOGICAL + COMPARISONS

JSON_COLUMNS = {"config": "config", "summary_metrics": "summary", "summary": "summary"}
"""Prefixes naming a key inside a run's config or summary (``config.lr``, ``summary_metrics.acc``)."""

PLAIN_FIELDS = {
    "state": "state",
    "tags": "tags",
    "jobType": "job_type",
    "job_type": "job_type",
    "group": "group",
    "display_name": "display_name",
    "displayName": "display_name",
    "name": "run_id",
    "id": "run_id",
    "run_id": "run_id",
    "notes": "notes",
    "createdAt": "created_at",
    "created_at": "created_at",
    "updatedAt": "updated_at",
    "updated_at": "updated_at",
}
"""W&B's names of a run's own fields (both spellings) -> the field they mean."""

DATE_FIELDS = ("created_at", "updated_at")
ORDER_FIELDS = ("created_at", "updated_at", "display_name", "run_id", "state", "job_type", "group")
MAX_DEPTH = 32


@dataclass(frozen=True)
class Field:
    """What a condition looks at: a run field (``column``) or a key path inside the
    ``config``/``summary`` JSON (``column`` is that and ``path`` the keys)."""

    column: str
    path: tuple[str, ...] = ()

    @property
    def is_json(self) -> bool:
        return bool(self.path)


@dataclass(frozen=True)
class Condition:
    field: Field
    op: str
    """One of ``COMPARISONS`` (``$ne``/``$nin`` kept as such: they match a missing field)."""
    value: Any


@dataclass(frozen=True)
class Combined:
    op: str
    """``$and``, ``$or`` or ``$nor``."""
    parts: tuple[Filter, ...]


Filter = Condition | Combined


@dataclass(frozen=True)
class Grammar:
    """What one kind of filter accepts: its fields (``field`` turns a key into a ``Field`` or
    raises naming the allowed ones), its comparison operators and its date fields. Runs and
    the registry listings (``archivist.core.registry_filters``) share the parsing below."""

    subject: str
    """What is filtered, for messages ("run", "registry"...)."""
    field: Callable[[object], Field]
    comparisons: tuple[str, ...]
    date_fields: tuple[str, ...]
    example: str
    number_fields: tuple[str, ...] = ()
    """Plain fields that compare with numbers too (not only text)."""


def parse_filters(filters: object, grammar: Grammar) -> Filter | None:
    """The checked tree of a MongoDB-style filter document; None for no filter (``None`` or ``{}``)."""
    if filters is None:
        return None
    if not isinstance(filters, Mapping):
        raise InvalidInputError(
            f"invalid {grammar.subject} filters {filters!r}: expected a dict such as {grammar.example}"
        )
    if not filters:
        return None
    return _document(filters, 0, grammar)


def mentions(tree: Filter, test: Callable[[Condition], bool]) -> bool:
    """Whether some condition of ``tree`` passes ``test``."""
    if isinstance(tree, Combined):
        return any(mentions(part, test) for part in tree.parts)
    return test(tree)


def parse_run_filters(filters: object) -> Filter | None:
    """The checked tree of a W&B run filter document; None for no filter (``None`` or ``{}``)."""
    return parse_filters(filters, RUN_GRAMMAR)


def parse_field(name: object) -> Field:
    """A filter or order key: ``config.<key>[.<key>...]``, ``summary_metrics.<key>`` or a
    run field (``state``, ``tags``, ``jobType``, ``group``, ``displayName``, ``createdAt``...)."""
    if not isinstance(name, str) or not name:
        raise InvalidInputError(f"invalid run filter field {name!r}: {_FIELDS_HINT}")
    if "\x00" in name:
        raise InvalidInputError(f"invalid run filter field {name!r}: it holds a NUL character")
    head, _, rest = name.partition(".")
    if head in JSON_COLUMNS:
        keys = tuple(rest.split(".")) if rest else ()
        if head == "config" and len(keys) > 1 and keys[-1] == "value":
            keys = keys[:-1]  # W&B's stored form ``config.lr.value`` means ``config.lr``
        if not keys or not all(keys):
            raise InvalidInputError(f"invalid run filter field {name!r}: name a key, as in '{head}.lr'")
        for key in keys:
            if '"' in key or "\\" in key:
                raise InvalidInputError(
                    f"invalid run filter field {name!r}: keys holding '\"' or '\\' cannot be filtered on"
                )
        return Field(JSON_COLUMNS[head], keys)
    if name in PLAIN_FIELDS:
        return Field(PLAIN_FIELDS[name])
    raise InvalidInputError(f"unknown run filter field {name!r}: {_FIELDS_HINT}")


def parse_run_order(order: object) -> tuple[Field, bool]:
    """``'+field'``/``'-field'``/``'field'`` -> (field, descending). Fields: a run field of
    ``ORDER_FIELDS`` (W&B spellings too), ``config.<key>`` or ``summary_metrics.<key>``."""
    if not isinstance(order, str) or not order.lstrip("+-"):
        raise InvalidInputError(f"invalid run order {order!r}: use '+' or '-' followed by a field")
    descending = order.startswith("-")
    try:
        field = parse_field(order.lstrip("+-"))
    except InvalidInputError:
        field = Field("")
    if not field.is_json and field.column not in ORDER_FIELDS:
        raise InvalidInputError(
            f"invalid run order {order!r}: order by {', '.join(ORDER_FIELDS)}, config.<key> "
            "or summary_metrics.<key>"
        )
    return field, descending


_FIELDS_HINT = "use config.<key>, summary_metrics.<key>, or one of " + ", ".join(sorted(set(PLAIN_FIELDS)))


def _document(document: Mapping[Any, Any], depth: int, grammar: Grammar) -> Filter:
    if depth > MAX_DEPTH:
        raise InvalidInputError(f"{grammar.subject} filters nest deeper than {MAX_DEPTH} levels")
    parts: list[Filter] = []
    for key, value in document.items():
        if isinstance(key, str) and key.startswith("$"):
            parts.append(_logical(key, value, depth, grammar))
        else:
            parts.extend(_conditions(grammar.field(key), key, value, grammar, depth))
    if not parts:
        raise InvalidInputError("an empty filter {} inside $and/$or/$nor matches nothing useful: remove it")
    return parts[0] if len(parts) == 1 else Combined("$and", tuple(parts))


def _logical(op: str, value: object, depth: int, grammar: Grammar) -> Filter:
    if op not in LOGICAL:
        raise InvalidInputError(
            f"unknown {grammar.subject} filter operator {op!r} at the top of a filter: use one of "
            f"{', '.join(LOGICAL)}, or a field with one of {', '.join(grammar.comparisons)}"
        )
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInputError(f"{op} takes a non-empty list of filters, got {value!r}")
    parts = []
    for item in value:
        if not isinstance(item, Mapping):
            raise InvalidInputError(f"{op} takes a list of filter dicts; {item!r} is not one")
        parts.append(_document(item, depth + 1, grammar))
    return Combined(op, tuple(parts))


def _conditions(field: Field, key: str, value: object, grammar: Grammar, depth: int) -> list[Filter]:
    if isinstance(value, Mapping) and value and all(isinstance(k, str) and k.startswith("$") for k in value):
        return [_operation(field, key, op, operand, grammar, depth) for op, operand in value.items()]
    if isinstance(value, Mapping) and any(isinstance(k, str) and k.startswith("$") for k in value):
        raise InvalidInputError(
            f"{grammar.subject} filter on {key!r} mixes operators and plain keys: {dict(value)!r}"
        )
    return [_condition(field, key, "$eq", value, grammar)]


def _operation(field: Field, key: str, op: str, operand: object, grammar: Grammar, depth: int) -> Filter:
    """One ``op: operand`` of a field; ``$not`` (when the grammar has it) negates the
    operators it holds, as MongoDB's ``{field: {"$not": {...}}}``: a ``$nor`` of them."""
    if op != "$not" or op not in grammar.comparisons:
        return _condition(field, key, op, operand, grammar)
    if depth > MAX_DEPTH:
        raise InvalidInputError(f"{grammar.subject} filters nest deeper than {MAX_DEPTH} levels")
    if (
        not isinstance(operand, Mapping)
        or not operand
        or not all(isinstance(k, str) and k.startswith("$") for k in operand)
    ):
        raise InvalidInputError(
            f"$not on {key!r} takes a dict of operators, as in {{'$regex': '^tmp'}}, got {operand!r}"
        )
    inner = _conditions(field, key, operand, grammar, depth + 1)
    return Combined("$nor", (inner[0] if len(inner) == 1 else Combined("$and", tuple(inner)),))


def _condition(field: Field, key: str, op: str, operand: object, grammar: Grammar) -> Condition:
    if op not in grammar.comparisons:
        raise InvalidInputError(
            f"unknown {grammar.subject} filter operator {op!r} on {key!r}: use one of "
            f"{', '.join(grammar.comparisons)}"
        )
    if op == "$exists":
        if not isinstance(operand, bool):
            raise InvalidInputError(f"$exists on {key!r} takes true or false, got {operand!r}")
        return Condition(field, op, operand)
    if op == "$contains":
        if not isinstance(operand, str) or not operand or "\x00" in operand:
            raise InvalidInputError(f"$contains on {key!r} takes a non-empty string, got {operand!r}")
        return Condition(field, op, operand)
    if op == "$regex":
        if not isinstance(operand, str):
            raise InvalidInputError(f"$regex on {key!r} takes a pattern string, got {operand!r}")
        if "\x00" in operand:
            raise InvalidInputError(f"invalid $regex {operand!r} on {key!r}: it holds a NUL character")
        try:
            re.compile(operand)
        except re.error as error:
            raise InvalidInputError(f"invalid $regex {operand!r} on {key!r}: {error}") from None
        return Condition(field, op, operand)
    if op in ("$in", "$nin"):
        if not isinstance(operand, list | tuple):
            raise InvalidInputError(f"{op} on {key!r} takes a list of values, got {operand!r}")
        return Condition(field, op, tuple(_value(field, key, op, item, grammar) for item in operand))
    return Condition(field, op, _value(field, key, op, operand, grammar))


def _value(field: Field, key: str, op: str, value: object, grammar: Grammar) -> Any:
    """A plain comparison value: a string, number, boolean or None (dates for date fields)."""
    if field.column in grammar.date_fields:
        return parse_filter_date(value, key)
    if value is None:
        if op in ("$eq", "$ne", "$in", "$nin"):
            return None
        raise InvalidInputError(f"{op} on {key!r} cannot compare with null")
    if isinstance(value, bool) and op not in ("$eq", "$ne", "$in", "$nin"):
        raise InvalidInputError(f"{op} on {key!r} cannot order booleans: use $eq or $ne")
    if isinstance(value, str) and "\x00" in value:
        raise InvalidInputError(f"{op} on {key!r} cannot compare with text holding a NUL character")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        raise InvalidInputError(f"{op} on {key!r}: {value!r} is too large to compare (at most 2**53)")
    if isinstance(value, bool | int | float | str):
        if isinstance(value, float) and value != value:
            raise InvalidInputError(f"{op} on {key!r} cannot compare with NaN")
        if not field.is_json and not isinstance(value, str) and field.column not in grammar.number_fields:
            raise InvalidInputError(f"{op} on {key!r} compares with text, got {value!r}")
        return value
    raise InvalidInputError(f"{op} on {key!r} compares with a string, number, boolean or null, got {value!r}")


RUN_GRAMMAR = Grammar("run", parse_field, COMPARISONS, DATE_FIELDS, "{'config.lr': {'$gt': 0.01}}")


def parse_filter_date(value: object, key: str) -> dt.datetime:
    """An ISO date or time (naive means UTC) or a ``datetime``, as an aware datetime."""
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError(
                f"invalid date {value!r} for {key!r}: use ISO 8601, as in '2025-01-31' or "
                "'2025-01-31T12:00:00Z'"
            ) from None
    else:
        raise InvalidInputError(f"invalid date {value!r} for {key!r}: use an ISO 8601 string or a datetime")
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.timezone.utc)
