"""Checks of request fields that only the service sees (names are checked by
``archivist.core.names``, digests by ``archivist.core.digest_checks``). Each raises
``InvalidInputError`` naming the value and what is allowed."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, TypeVar, overload

from archivist.core import names
from archivist.core.errors import InvalidInputError
from archivist.core.json_values import json_friendly

VERSION_ORDER_KEYS = ("version", "created_at", "size")
E = TypeVar("E", bound=enum.Enum)


def validate_optional_text(value: object, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string or None, got {type(value).__name__}: {value!r}")
    return value


@overload
def validate_count(value: object, what: str) -> int: ...


@overload
def validate_count(value: object, what: str, *, optional: bool) -> int | None: ...


def validate_count(value: object, what: str, *, optional: bool = False) -> int | None:
    """A non-negative integer (steps, offsets, limits); None only when ``optional``."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        allowed = "a non-negative integer" + (" or None" if optional else "")
        raise InvalidInputError(f"invalid {what} {value!r}: use {allowed}")
    return value


def validate_json_object(value: object, what: str) -> dict[str, Any]:
    """A mapping converted to plain JSON values (run config, summary, history rows)."""
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"{what} must be a dict, got {type(value).__name__}: {value!r}")
    checked: dict[str, Any] = json_friendly(value, what)
    return checked


def validate_run_tags(tags: object) -> list[str]:
    if isinstance(tags, str):  # one string is not a list of tags on the wire
        raise InvalidInputError(f"run tags must be a list of strings, got {tags!r}")
    return list(names.validate_run_tags(tags))  # type: ignore[arg-type]


def parse_enum(enum_type: type[E], value: object, what: str) -> E:
    """``value`` as a member of ``enum_type`` (members and their values are accepted)."""
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in enum_type)
        raise InvalidInputError(f"invalid {what} {value!r}: use one of {allowed}") from None


def parse_version_order(order: object) -> tuple[str, bool]:
    """``'-version'`` -> ('version', descending=True); no sign means ascending."""
    if isinstance(order, str):
        key, descending = order.lstrip("+-"), order.startswith("-")
        if key in VERSION_ORDER_KEYS and len(order) - len(key) <= 1:
            return key, descending
    choices = ", ".join(f"'{sign}{key}'" for key in VERSION_ORDER_KEYS for sign in "+-")
    raise InvalidInputError(f"invalid version order {order!r}: use one of {choices}")
