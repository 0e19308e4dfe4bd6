"""Records to and from their JSON form, for the HTTP backend.

``archivist.core.models.to_dict`` turns a record into plain JSON values;
``from_dict`` rebuilds it from the type hints of the dataclass: nested records,
``X | None``, tuples (JSON arrays), mappings and enums. The input comes from our
own server, so a value of the wrong shape is a protocol error (``CommError``),
not a user mistake. ``update_to_dict`` drops the UNSET fields of an update.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, Union

from archivist.core.errors import CommError
from archivist.core.models import UNSET, to_dict

T = TypeVar("T")


def from_dict(cls: type[T], data: object) -> T:
    """Rebuild a record of dataclass ``cls`` from its ``to_dict`` form."""
    return typing.cast(T, _convert(cls, data, cls.__name__))


def from_wire(hint: Any, data: object, where: str = "answer") -> Any:
    """Rebuild a value of any type ``hint`` (a record, ``list[X]``, ``X | None``, an enum, a
    plain value) from its JSON form."""
    return _convert(hint, data, where)


def to_wire(value: object) -> Any:
    """The JSON form of an argument: an update record without its UNSET fields, any other
    value as ``to_dict`` gives it."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and _is_update(type(value)):
        return update_to_dict(value)
    return to_dict(value)


@functools.cache
def _is_update(cls: type) -> bool:
    return any("wire_type" in field.metadata for field in dataclasses.fields(cls))


def update_to_dict(update: object) -> dict[str, Any]:
    """The fields of an update record that are set (UNSET fields are left out)."""
    if not dataclasses.is_dataclass(update) or isinstance(update, type):
        raise TypeError(f"expected an update record, got {update!r}")
    return {
        f.name: to_dict(getattr(update, f.name))
        for f in dataclasses.fields(update)
        if getattr(update, f.name) is not UNSET
    }


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(hint: Any, value: object, where: str) -> Any:
    if hint is Any or hint is object:
        return value
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return _convert(typing.get_args(hint)[0], value, where)
    if origin in (Union, types.UnionType):
        return _convert_union(typing.get_args(hint), value, where)
    if dataclasses.is_dataclass(hint):
        return _convert_record(hint, value, where)  # type: ignore[arg-type]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            raise _shape_error(where, value, f"a {hint.__name__} value") from None
    if origin in (tuple, list, Sequence):
        if not isinstance(value, (list, tuple)):
            raise _shape_error(where, value, "a list")
        (item_hint, *_rest) = typing.get_args(hint) or (Any,)
        items = [_convert(item_hint, item, f"{where}[{i}]") for i, item in enumerate(value)]
        return tuple(items) if origin is tuple else items  # a Sequence arrives as a list
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise _shape_error(where, value, "an object")
        return dict(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(hint, type) and not isinstance(value, hint):
        raise _shape_error(where, value, hint.__name__)
    return value


def _convert_union(options: tuple[Any, ...], value: object, where: str) -> Any:
    if value is None and type(None) in options:
        return None
    concrete = [option for option in options if option is not type(None)]
    if len(concrete) == 1:
        return _convert(concrete[0], value, where)
    for option in concrete:
        try:
            return _convert(option, value, where)
        except CommError:
            continue
    raise _shape_error(where, value, " or ".join(str(option) for option in concrete))


def _convert_record(cls: type, value: object, where: str) -> Any:
    if not isinstance(value, Mapping):
        raise _shape_error(where, value, f"a {cls.__name__} object")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name in value:
            hint = field.metadata.get("wire_type", hints[field.name])  # an update's settable field
            kwargs[field.name] = _convert(hint, value[field.name], f"{where}.{field.name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise CommError(f"malformed server answer: {where} lacks the field {field.name!r}")
    return cls(**kwargs)


def _shape_error(where: str, value: object, expected: str) -> CommError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return CommError(f"malformed server answer: {where} is {shown}, expected {expected}")
