"""W&B's table type system, as the JSON it writes in ``column_types``.

A type is the dict W&B stores: ``{"wb_type": name, "params": {...}}`` (no ``params``
when there are none). A column starts as ``none | unknown`` (optional, not yet seen);
each value added narrows it (``assign``) and a value of another kind is refused, as in
W&B, unless the table allows mixed types (``any``). Union members are kept sorted by
W&B's printed form so the JSON is the one W&B writes. Pure code: no I/O, and numpy
values are recognised without importing numpy.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from archivist.sdk.data_types.image_types import WBType, merge_image_types

ANY: WBType = {"wb_type": "any"}
UNKNOWN: WBType = {"wb_type": "unknown"}
NONE: WBType = {"wb_type": "none"}
NUMBER: WBType = {"wb_type": "number"}
STRING: WBType = {"wb_type": "string"}
BOOLEAN: WBType = {"wb_type": "boolean"}
TIMESTAMP: WBType = {"wb_type": "timestamp"}


def make(name: str, **params: Any) -> WBType:
    return {"wb_type": name, "params": params} if params else {"wb_type": name}


def params(t: WBType) -> dict[str, Any]:
    """A type's parameters (read-only: types are shared between columns and rows)."""
    found: dict[str, Any] = t.get("params") or {}
    return found


def list_type(element: WBType, length: int | None) -> WBType:
    return make("list", element_type=element, length=length)


def union(members: list[WBType]) -> WBType:
    flat: list[WBType] = []
    for member in members:
        flat.extend(params(member)["allowed_types"] if member["wb_type"] == "union" else [member])
    return make("union", allowed_types=sorted(flat, key=printed))


def optional(t: WBType) -> WBType:
    return union([t, NONE])


class TypedDictType(dict[str, Any]):
    """A ``typedDict`` type; ``params`` as an attribute too, as W&B's type objects have it
    (scripts read a table's ``_column_types.params["type_map"]``)."""

    @property
    def params(self) -> dict[str, Any]:
        found: dict[str, Any] = self["params"]
        return found


class ForeignIndexType(dict[str, Any]):
    """W&B's ``foreignIndex`` (``wandb.data_types._ForeignIndexType``): a column of row
    numbers of another table. In memory ``params["table"]`` is that Table; in the JSON it
    is the table's entry path in the artifact."""

    @property
    def params(self) -> dict[str, Any]:
        found: dict[str, Any] = self["params"]
        return found

    def __deepcopy__(self, memo: dict[int, Any]) -> ForeignIndexType:
        return ForeignIndexType(wb_type="foreignIndex", params={"table": self["params"]["table"]})  # shared


def typed_dict(type_map: dict[str, WBType]) -> WBType:
    return TypedDictType(wb_type="typedDict", params={"type_map": type_map})


def foreign_index(table: Any) -> WBType:
    return ForeignIndexType(wb_type="foreignIndex", params={"table": table})


def const(value: Any) -> WBType:
    if isinstance(value, (set, frozenset)):
        return make("const", val=sorted(value, key=repr), is_set=True)
    return make("const", val=value, is_set=False)


def printed(t: WBType) -> str:
    """W&B's ``str(type)``, which orders the members of a union."""
    name, p = str(t["wb_type"]), params(t)
    if name == "union":
        return " or ".join(printed(m) for m in p["allowed_types"])
    if name == "list":
        return f"{printed(p['element_type'])}[]"
    if name == "typedDict":
        return str({k: printed(v) for k, v in p["type_map"].items()})
    if name == "const":
        return str(p.get("val"))
    text = name.capitalize()
    if p:
        text += "(" + ", ".join(f"{k}:{v}" for k, v in p.items()) + ")"
    return text


# --- the type of a value -----------------------------------------------------------------
def _is_numpy(value: Any) -> bool:
    return type(value).__module__ == "numpy"


def type_of(value: Any) -> WBType:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NONE
    column_type = getattr(value, "column_type", None)
    if callable(column_type) and not isinstance(value, type):
        result: WBType = column_type()
        return result
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, (dt.datetime, dt.date)):
        return TIMESTAMP
    if _is_numpy(value):
        kind = getattr(getattr(value, "dtype", None), "kind", "")
        if type(value).__name__ == "ndarray":
            return make("ndarray", shape=list(value.shape), serialization_path=None)
        if kind == "b":
            return BOOLEAN
        if kind in "iufc":
            return NONE if kind == "f" and math.isnan(float(value)) else NUMBER
        if kind == "M":
            return TIMESTAMP
        if kind in "US":
            return STRING
    if isinstance(value, (list, tuple, set, frozenset)):
        element: WBType = optional(UNKNOWN) if None in value else UNKNOWN
        for item in value:
            element = assign(element, item) or ANY
        return list_type(element, len(value))
    if isinstance(value, dict):
        return typed_dict({str(k): type_of(v) for k, v in value.items()})
    return make("pythonObject", class_name=type(value).__name__)


def from_dtype(dtype: Any) -> WBType:
    """The type ``Table(dtype=...)`` and ``cast`` mean by ``dtype``: a W&B type dict, a
    Python type, a media class, a list (one element: a list type; more: a union), a dict
    (a typed dict), a media object (its type) or any other value (that constant)."""
    if isinstance(dtype, dict) and "wb_type" in dtype:
        return dtype
    if isinstance(dtype, type):
        simple = {
            bool: BOOLEAN,
            int: NUMBER,
            float: NUMBER,
            str: STRING,
            type(None): NONE,
            dt.datetime: TIMESTAMP,
            dt.date: TIMESTAMP,
        }
        if dtype in simple:
            return simple[dtype]
        if dtype in (list, tuple, set, frozenset):
            return list_type(UNKNOWN, None)
        if dtype is dict:
            return typed_dict({})
        empty_type = getattr(dtype, "empty_column_type", None)
        if callable(empty_type):
            result: WBType = empty_type()
            return result
        return make("pythonObject", class_name=dtype.__name__)
    if isinstance(dtype, list):
        if not dtype:
            return list_type(UNKNOWN, None)
        if len(dtype) == 1:
            return list_type(from_dtype(dtype[0]), None)
        return union([from_dtype(d) for d in dtype])
    if isinstance(dtype, dict):
        return typed_dict({str(k): from_dtype(v) for k, v in dtype.items()})
    if callable(getattr(dtype, "column_type", None)):
        return type_of(dtype)
    return const(dtype)


# --- narrowing a type by a value or another type ---------------------------------------------
def assign(t: WBType, value: Any) -> WBType | None:
    """The type ``t`` becomes once it also holds ``value``; None when it cannot."""
    name = t["wb_type"]
    if name == "any":
        return t
    if name == "unknown":
        return type_of(value)
    if name == "union":
        return _union_assign(t, value, typed=False)
    if name == "const":
        p = params(t)
        if p.get("is_set"):
            return t if value in p["val"] else None
        return t if value == p.get("val") else None
    if name == "list" and isinstance(value, (list, tuple, set, frozenset)):
        element = params(t)["element_type"]
        for item in value:
            narrowed = assign(element, item)
            if narrowed is None:
                return None
            element = narrowed
        return list_type(element, len(value))
    if name == "typedDict" and isinstance(value, dict):
        type_map = params(t)["type_map"]
        if set(map(str, value)) - set(type_map):
            return None
        merged = {}
        changed = False
        for key, member in type_map.items():
            narrowed = assign(member, value.get(key))
            if narrowed is None:
                return None
            merged[key] = narrowed
            changed = changed or narrowed is not member
        return typed_dict(merged) if changed else t  # (most rows change no column type)
    return assign_type(t, type_of(value))


def assign_type(t: WBType, other: WBType) -> WBType | None:
    name = t["wb_type"]
    if name == "any":
        return t
    if name == "unknown":
        return other
    if name == "union":
        result: WBType | None = t
        others = params(other)["allowed_types"] if other["wb_type"] == "union" else [other]
        for member in others:
            assert result is not None
            result = _union_assign(result, member, typed=True)
            if result is None:
                return None
        return result
    if name == "foreignIndex":  # takes row numbers, or indexes of the very same table
        same = other["wb_type"] == name and params(other)["table"] is params(t)["table"]
        return t if other["wb_type"] == "number" or same else None
    if name == "ndarray" and other["wb_type"] in ("ndarray", "list"):
        same = other["wb_type"] == "list" or params(other).get("shape") == params(t).get("shape")
        return t if same else None
    if other["wb_type"] != name:
        return None
    if name == "list":
        mine, theirs = params(t), params(other)
        element = assign_type(mine["element_type"], theirs["element_type"])
        if element is None:
            return None
        length = mine["length"] if mine["length"] == theirs["length"] else None
        return list_type(element, length)
    if name == "typedDict":
        mine_map, their_map = params(t)["type_map"], params(other)["type_map"]
        if set(their_map) - set(mine_map):
            return None
        merged = {}
        for key, member in mine_map.items():
            narrowed = assign_type(member, their_map.get(key, UNKNOWN))
            if narrowed is None:
                return None
            merged[key] = narrowed
        return typed_dict(merged)
    if name == "image-file":
        return merge_image_types(t, other)
    return t if params(t) == params(other) else None


def _union_assign(t: WBType, value: Any, typed: bool) -> WBType | None:
    """W&B's union assigner: the first member that takes the value narrows; failing
    that, an ``unknown`` member becomes the value's type."""
    resolved: list[WBType] = []
    valid = False
    unknowns = 0
    for member in params(t)["allowed_types"]:
        if valid:
            resolved.append(member)
        elif member["wb_type"] == "unknown":
            unknowns += 1
        else:
            narrowed = assign_type(member, value) if typed else assign(member, value)
            if narrowed is member:
                return t  # nothing changes (the common case)
            resolved.append(member if narrowed is None else narrowed)
            valid = narrowed is not None
    if not valid:
        if unknowns == 0:
            return None
        resolved.append(value if typed else type_of(value))
        unknowns -= 1
    resolved.extend([UNKNOWN] * unknowns)
    return union(resolved)


def ndarray_member(t: WBType) -> WBType | None:
    """The ndarray type of a column (itself, or the ndarray member of its union)."""
    if t["wb_type"] == "ndarray":
        return t
    if t["wb_type"] == "union":
        for member in params(t)["allowed_types"]:
            if member["wb_type"] == "ndarray":
                return member  # type: ignore[no-any-return]
    return None


def has_member(t: WBType, name: str) -> bool:
    if t["wb_type"] == name:
        return True
    return t["wb_type"] == "union" and any(m["wb_type"] == name for m in params(t)["allowed_types"])
