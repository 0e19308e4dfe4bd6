"""Request schemas derived from the type hints of the declared calls.

``body_model(call)`` is the pydantic model of a call's request body: one member per
parameter, typed from the parameter's hint -- records of ``archivist.core.models`` become
models of their own (unknown members refused), tuples JSON arrays, enums their values,
integers 64-bit, ``Annotated[str, Pattern(...)]`` a string whose pattern is enforced or
documented. ``from_body(call, body)`` turns a validated body back into the call's
arguments (records rebuilt, the unset fields of an update record left UNSET). What a value
means (a valid name, alias or TTL) is checked by the service, exactly as for the embedded
store: the schema checks shapes.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from archivist.core.calls import Call
from archivist.core.ids import Pattern
from archivist.core.record_json import from_wire

Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
_CONFIG = ConfigDict(strict=True, extra="forbid")


class WireModel(BaseModel):
    model_config = _CONFIG


class UpdateModel(WireModel):
    """An update record: only the fields present change."""

    is_update: typing.ClassVar[bool] = True


def body_model(declared: Call) -> type[BaseModel]:
    """The request body of ``declared``: one member per parameter."""
    fields: dict[str, Any] = {}
    for name, hint, default in declared.parameters:
        wire = wire_type(hint)
        fields[name] = (wire, ... if default is inspect.Parameter.empty else default)
    title = "".join(part.title() for part in declared.name.split("_")) + "Body"
    return create_model(title, __base__=WireModel, __doc__=f"The body of {declared.name}.", **fields)


def from_body(declared: Call, body: BaseModel) -> dict[str, Any]:
    """The call's arguments from its validated body."""
    return {name: _argument(hint, getattr(body, name)) for name, hint, _default in declared.parameters}


def wire_type(hint: Any) -> Any:
    """The pydantic type that checks the JSON form of a value of type ``hint``."""
    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, *extras = typing.get_args(hint)
        patterns = [extra for extra in extras if isinstance(extra, Pattern)]
        if patterns and base is str:
            return Annotated[str, _pattern_field(patterns[0])]
        return wire_type(base)
    if origin in (Union, types.UnionType):
        options = tuple(wire_type(option) for option in typing.get_args(hint))
        return Union[options]  # noqa: UP007 (built from a tuple)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return record_model(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return Literal[tuple(member.value for member in hint)]
    if origin in (tuple, list, Sequence) or hint in (tuple, list):
        (item, *_rest) = typing.get_args(hint) or (Any,)
        return list[wire_type(item)]  # type: ignore[misc]
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return dict[str, Any]
    if hint is int:
        return Int64
    return hint


@functools.cache
def record_model(record: type) -> type[BaseModel]:
    """The model of a record's JSON form; the fields of an update record are all optional,
    and only those the body names are set (``model_fields_set``)."""
    hints = typing.get_type_hints(record, include_extras=True)
    fields: dict[str, Any] = {}
    is_update = any("wire_type" in field.metadata for field in dataclasses.fields(record))
    for field in dataclasses.fields(record):
        wire_hint = field.metadata.get("wire_type")
        if wire_hint is not None:  # a settable field of an update: absent means "unchanged"
            fields[field.name] = (wire_type(wire_hint), None)
            continue
        default: Any = ...
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=_json_default(field.default_factory))
        fields[field.name] = (wire_type(hints[field.name]), default)
    base = UpdateModel if is_update else WireModel
    return create_model(record.__name__ + "Fields", __base__=base, __doc__=record.__doc__, **fields)


def _json_default(factory: Any) -> Any:
    def make() -> Any:
        value = factory()
        return list(value) if isinstance(value, tuple) else value

    return make


def _pattern_field(pattern: Pattern) -> Any:
    if pattern.enforced:
        return Field(pattern=pattern.regex)
    return Field(json_schema_extra={"pattern": pattern.regex})


def _argument(hint: Any, value: Any) -> Any:
    """A validated value of the body as the call's argument of type ``hint``."""
    return from_wire(hint, _plain(value))


def _plain(value: Any) -> Any:
    """Models back to plain JSON values; an update record keeps only the fields the body
    set, so that ``from_wire`` leaves the others UNSET."""
    if isinstance(value, BaseModel):
        names = value.model_fields_set if getattr(value, "is_update", False) else type(value).model_fields
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
