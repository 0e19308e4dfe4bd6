"""The simple filters ``api.registries(filter=...)`` and ``Registry.collections(filter=...)``
take for now: a field equal to a value, or matching ``$eq``, ``$ne``, ``$regex``, ``$in``,
combined with ``$and`` / ``$or`` (the full operator set, run as SQL, comes later)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from archivist.core.errors import InvalidInputError

_OPERATORS = ("$eq", "$ne", "$regex", "$in")


def matches(wanted: object, values: Mapping[str, Any]) -> bool:
    """Whether ``values`` (field -> value) pass the filter ``wanted`` (None passes all)."""
    if wanted is None:
        return True
    if not isinstance(wanted, Mapping):
        raise InvalidInputError(f"a filter is a dict like {{'name': {{'$regex': '^clf'}}}}, got {wanted!r}")
    return all(_clause(key, condition, values) for key, condition in wanted.items())


def _clause(key: object, condition: object, values: Mapping[str, Any]) -> bool:
    if key in ("$and", "$or"):
        if not isinstance(condition, list):
            raise InvalidInputError(f"{key} takes a list of filters, got {condition!r}")
        found = [matches(part, values) for part in condition]
        return all(found) if key == "$and" else any(found)
    if not isinstance(key, str) or key not in values:
        allowed = ", ".join(sorted(values))
        raise InvalidInputError(f"cannot filter on {key!r}: the fields are {allowed}, with $and / $or")
    value = values[key]
    if not isinstance(condition, Mapping):
        return bool(value == condition)
    return all(_compare(key, operator, operand, value) for operator, operand in condition.items())


def _compare(key: str, operator: object, operand: object, value: object) -> bool:
    if operator == "$eq":
        return value == operand
    if operator == "$ne":
        return value != operand
    if operator == "$in":
        if not isinstance(operand, list):
            raise InvalidInputError(f"$in on {key!r} takes a list, got {operand!r}")
        return value in operand
    if operator == "$regex":
        if not isinstance(operand, str):
            raise InvalidInputError(f"$regex on {key!r} takes a pattern string, got {operand!r}")
        try:
            return isinstance(value, str) and re.search(operand, value) is not None
        except re.error as exc:
            raise InvalidInputError(f"invalid $regex {operand!r} on {key!r}: {exc}") from None
    raise InvalidInputError(
        f"unsupported operator {operator!r} on {key!r}: use one of {', '.join(_OPERATORS)} (more come later)"
    )
