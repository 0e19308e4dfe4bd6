"""What changed between two versions: files added, removed and changed (by
digest), and metadata keys added, removed and changed (nested keys flattened
to dotted paths)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from archivist.core.manifest import Entry, Manifest


@dataclass(frozen=True)
class ChangedFile:
    path: str
    old: Entry
    new: Entry

    @property
    def size_delta(self) -> int:
        return self.new.size - self.old.size


@dataclass(frozen=True)
class FileDiff:
    added: list[Entry]
    removed: list[Entry]
    changed: list[ChangedFile]
    unchanged_count: int


@dataclass(frozen=True)
class ValueChange:
    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class MetadataDiff:
    added: list[ValueChange]
    removed: list[ValueChange]
    changed: list[ValueChange]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_manifests(old: Manifest, new: Manifest) -> FileDiff:
    added = [entry for entry in new if entry.path not in old]
    removed = [entry for entry in old if entry.path not in new]
    changed = []
    unchanged = 0
    for entry in new:
        before = old.get(entry.path)
        if before is None:
            continue
        if (before.digest, before.ref) != (entry.digest, entry.ref):
            changed.append(ChangedFile(entry.path, before, entry))
        else:
            unchanged += 1
    by_path = attrgetter("path")
    return FileDiff(
        sorted(added, key=by_path), sorted(removed, key=by_path), sorted(changed, key=by_path), unchanged
    )


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "c": [1]}`` -> ``{"a.b": 1, "c": [1]}``; an empty mapping stays a leaf."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            flat.update(flatten(item, f"{path}."))
        else:
            flat[path] = item
    return flat


def diff_metadata(old: Mapping[str, Any], new: Mapping[str, Any]) -> MetadataDiff:
    before, after = flatten(old), flatten(new)
    added = [ValueChange(k, None, after[k]) for k in sorted(after.keys() - before.keys())]
    removed = [ValueChange(k, before[k], None) for k in sorted(before.keys() - after.keys())]
    changed = [
        ValueChange(k, before[k], after[k])
        for k in sorted(before.keys() & after.keys())
        if before[k] != after[k] or type(before[k]) is not type(after[k])
    ]
    return MetadataDiff(added, removed, changed)
