"""A run's ``config`` (hyperparameters) and ``summary`` (final metrics).

Both are dict-like with attribute access, as in W&B. Every change calls
``on_change`` (the run's debounced writer), so values reach the store within
about a second and at the latest when the run finishes.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from archivist.core.errors import ConflictError, InvalidInputError
from archivist.core.json_values import json_friendly, json_key

_INTERNAL = ("_data", "_lock", "_on_change", "_pinned")


def _noop() -> None:
    return None


class _TrackedMapping(MutableMapping[str, Any]):
    """A thread-safe dict of JSON-friendly values that reports each change."""

    _kind = "value"

    def __init__(self, data: Mapping[str, Any] | None = None, on_change: Callable[[], None] = _noop) -> None:
        object.__setattr__(self, "_lock", threading.RLock())
        object.__setattr__(self, "_on_change", on_change)
        object.__setattr__(self, "_data", dict(data or {}))

    # --- mapping protocol -----------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._set_many({key: value})

    def __delitem__(self, key: str) -> None:
        with self._lock:
            del self._data[key]
        self._on_change()

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.as_dict()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _TrackedMapping):
            return self.as_dict() == other.as_dict()
        if isinstance(other, Mapping):
            return self.as_dict() == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    # --- attribute access -----------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in _INTERNAL:
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__.lower()} has no key {name!r}; keys: {sorted(self._data)}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    # --- helpers ----------------------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        """A snapshot copy of the values."""
        with self._lock:
            return dict(self._data)

    def _set_many(self, values: Mapping[str, Any]) -> dict[str, Any]:
        clean = self._clean(values)
        with self._lock:
            self._data.update(clean)
        if clean:
            self._on_change()
        return clean

    def _clean(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {self._key(k): self._value(k, v) for k, v in values.items()}

    def _key(self, key: object) -> str:
        """A string key; others become the string JSON makes of them (``1`` -> ``"1"``)."""
        return json_key(key)

    def _value(self, key: str, value: Any) -> Any:
        encode = getattr(value, "json_encode", None)  # an Artifact put in the config
        if callable(encode):
            return encode()
        return json_friendly(value, f"{self._kind} {key!r}")


class Config(_TrackedMapping):
    """``run.config``: hyperparameters. Keys are normalised like W&B (leading and
    trailing '-' stripped, so argparse names work)."""

    _kind = "config"

    def update(  # type: ignore[override]
        self,
        values: Mapping[str, Any] | argparse.Namespace | None = None,
        allow_val_change: bool | None = True,
        **kwargs: Any,
    ) -> None:
        """Add or change keys; with ``allow_val_change=False`` changing an existing
        key's value raises ``ConflictError`` and nothing is applied."""
        merged = {**config_mapping(values), **kwargs}
        if allow_val_change is False:
            self._refuse_changes(self._clean(merged))
        self._set_many(merged)

    def setdefaults(self, values: Mapping[str, Any]) -> None:
        """Set each key that is not set yet (W&B's ``Config.setdefaults``)."""
        self.update({k: v for k, v in values.items() if self._key(k) not in self})

    def _key(self, key: object) -> str:
        name = super()._key(key).strip("-")
        if not name:
            raise InvalidInputError(f"config key {key!r} is empty once '-' is stripped")
        return name

    def _refuse_changes(self, values: Mapping[str, Any]) -> None:
        with self._lock:
            current = dict(self._data)
        for key, value in values.items():
            if key in current and current[key] != value:
                raise ConflictError(
                    f"Attempted to change value of config key {key!r} from {current[key]!r} "
                    f"to {value!r}; pass allow_val_change=True to config.update() to allow it"
                )


class Summary(_TrackedMapping):
    """``run.summary``: one value per metric. ``run.log`` keeps the last logged
    value of each key; a key the user assigned explicitly keeps the user's value."""

    _kind = "summary"

    def __init__(self, data: Mapping[str, Any] | None = None, on_change: Callable[[], None] = _noop) -> None:
        super().__init__(data, on_change)
        object.__setattr__(self, "_pinned", set())

    def update(self, values: Mapping[str, Any] | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        merged = {**(values or {}), **kwargs}
        self._set_many(merged)

    def _set_many(self, values: Mapping[str, Any]) -> dict[str, Any]:
        clean = super()._set_many(values)
        with self._lock:
            self._pinned.update(clean)
        return clean

    def __delitem__(self, key: str) -> None:
        with self._lock:
            self._pinned.discard(key)
        super().__delitem__(key)

    def update_from_history(self, row: Mapping[str, Any]) -> None:
        """Take the values of a logged row (already JSON-friendly), except pinned keys."""
        with self._lock:
            changed = {k: v for k, v in row.items() if k not in self._pinned}
            self._data.update(changed)
        if changed:
            self._on_change()


def config_mapping(values: object) -> dict[str, Any]:
    """The dict form of what ``init(config=...)`` or ``config.update`` accepts."""
    if values is None:
        return {}
    if isinstance(values, argparse.Namespace):
        return dict(vars(values))
    if isinstance(values, _TrackedMapping):
        return values.as_dict()
    if isinstance(values, Mapping):
        return dict(values)
    raise InvalidInputError(
        f"config must be a dict or an argparse.Namespace, got {type(values).__name__}: {values!r}"
    )


def filter_keys(
    values: Mapping[str, Any], include: Iterable[str] | None, exclude: Iterable[str] | None
) -> dict[str, Any]:
    """Apply ``config_include_keys`` / ``config_exclude_keys`` of ``init`` (not both)."""
    if include is not None and exclude is not None:
        raise InvalidInputError("pass config_include_keys or config_exclude_keys, not both")
    if include is not None:
        wanted = set(include)
        return {k: v for k, v in values.items() if k in wanted}
    if exclude is not None:
        unwanted = set(exclude)
        return {k: v for k, v in values.items() if k not in unwanted}
    return dict(values)
