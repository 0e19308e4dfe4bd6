"""Values as W&B stores them, and their JSON text.

``json_friendly`` turns what a W&B script puts in a config, a summary, a history
row or an artifact's metadata into plain JSON values the way W&B's
``json_friendly_val`` / config sanitising does, instead of refusing it:

- numpy (and torch, jax, ...) scalars become numbers and arrays lists (an array
  of one element its element, as in W&B); ``bytes`` are decoded as UTF-8;
- NaN becomes None; ±infinity stays a float (``dumps`` writes it as ±9e999);
- dict keys that are not strings become the strings ``json.dumps`` makes of them
  (``1`` -> ``"1"``, ``True`` -> ``"true"``); sets become sorted lists;
- dates and datetimes become ISO strings, a ``slice`` W&B's ``slice_start``/
  ``slice_step``/``slice_stop`` dict, dataclasses and pydantic models their dicts;
- functions and classes become ``module.qualname``; any other object (``Path``,
  an enum member, a model instance, ...) becomes ``str(value)``.

``dumps`` is the one JSON text writer for such values where the text must be
standard JSON (PostgreSQL, the HTTP wire): JSON has no infinity, so ±infinity is
written as the number ±9e999 (what SQLite's JSON functions write), which every
JSON reader parses back as ±infinity; NaN as null.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from archivist.core.errors import InvalidInputError

MAX_DEPTH = 100
_INFINITY = "\x00archivist:+inf\x00"
_MINUS_INFINITY = "\x00archivist:-inf\x00"


def json_friendly(value: Any, where: str = "metadata") -> Any:
    """``value`` as plain JSON values (see the module docstring); only a structure that
    nests deeper than ``MAX_DEPTH`` (or contains itself) is refused, naming ``where``."""
    return _friendly(value, where, 0)


def _friendly(value: Any, where: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise InvalidInputError(
            f"{where}: the value nests more than {MAX_DEPTH} levels deep (or contains itself)"
        )
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, Mapping):
        return {json_key(k): _friendly(v, f"{where}.{k}", depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_friendly(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return [_friendly(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(sorted(value, key=repr))]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, slice):
        return {"slice_start": value.start, "slice_step": value.step, "slice_stop": value.stop}
    plain = _as_plain(value)
    if plain is not None:
        return _friendly(plain[0], where, depth + 1)
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}".lstrip(".")
    return str(value)


def _as_plain(value: Any) -> tuple[Any] | None:
    """Arrays, tensors, numpy scalars, dataclasses and pydantic models as Python values
    (in a 1-tuple; None when ``value`` is none of these). Nothing is imported for it."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (dataclasses.asdict(value),)
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return (dump(),)
    for step in ("detach", "cpu"):  # torch tensors: off the graph and the GPU first
        move = getattr(value, step, None)
        if callable(move) and hasattr(value, "tolist") and not isinstance(value, type):
            value = move()
    numel = getattr(value, "numel", None)  # torch's element count; numpy's is ``size``
    size = numel() if callable(numel) and not isinstance(value, type) else getattr(value, "size", None)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, type):
        if size == 1 and callable(getattr(value, "item", None)):  # W&B keeps one element as a scalar
            return (value.item(),)
        return (tolist(),)
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, type):
        return (item(),)
    return None


def json_key(key: object) -> str:
    """A dict key as JSON text has it: ``json.dumps``'s string for numbers, booleans and
    None (numpy ones too), ``str(key)`` for anything else."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    plain = _as_plain(key)
    if plain is not None and isinstance(plain[0], (bool, int, float)):
        return json.dumps(plain[0])
    return str(key)


def dumps(value: Any, default: Callable[[Any], Any] | None = None, **options: Any) -> str:
    """Standard JSON text of JSON values (``default`` converts others, as in ``json.dumps``):
    ±infinity as ±9e999, NaN as null."""
    try:
        return json.dumps(value, allow_nan=False, default=default, **options)
    except ValueError:
        pass
    marked_default = None if default is None else (lambda v: _mark_non_finite(default(v)))
    text = json.dumps(_mark_non_finite(value), allow_nan=False, default=marked_default, **options)
    quoted = json.dumps(_INFINITY), json.dumps(_MINUS_INFINITY)
    return text.replace(quoted[0], "9e999").replace(quoted[1], "-9e999")


def _mark_non_finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return None
        return _INFINITY if value > 0 else _MINUS_INFINITY
    if isinstance(value, Mapping):
        return {k: _mark_non_finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark_non_finite(v) for v in value]
    return value
