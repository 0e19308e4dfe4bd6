"""What changed between two versions: files added, removed and changed (by
digest), and metadata keys added, removed and changed (nested keys flattened
to dotted paths)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from archivist.core.manifest import Entry, Manifest
from archivist.core.manifest_diff import ADDED, CHANGED, REMOVED, EntryChange, diff_sorted


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
    """How many paths were added, removed, changed and left alone, and the first rows of
    each list (all of them unless a ``keep`` limit was given), in path order."""

    added: list[Entry]
    removed: list[Entry]
    changed: list[ChangedFile]
    unchanged_count: int
    added_count: int
    removed_count: int
    changed_count: int


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


def diff_manifests(old: Manifest, new: Manifest, keep: int | None = None) -> FileDiff:
    by_path = attrgetter("path")
    return diff_changes(diff_sorted(sorted(old, key=by_path), sorted(new, key=by_path)), keep)


def diff_changes(changes: Iterable[EntryChange | None], keep: int | None = None) -> FileDiff:
    """Collect a diff's changes (``None`` for an unchanged path, as ``manifest_diff`` yields
    them): every one is counted, at most ``keep`` of each kind are kept."""
    added: list[Entry] = []
    removed: list[Entry] = []
    changed: list[ChangedFile] = []
    counts = {ADDED: 0, REMOVED: 0, CHANGED: 0}
    unchanged = 0
    for change in changes:
        if change is None:
            unchanged += 1
            continue
        status = change.status
        counts[status] += 1
        if keep is not None and counts[status] > keep:
            continue
        if status == ADDED:
            added.append(change.new)  # type: ignore[arg-type]
        elif status == REMOVED:
            removed.append(change.old)  # type: ignore[arg-type]
        else:
            changed.append(ChangedFile(change.path, change.old, change.new))  # type: ignore[arg-type]
    return FileDiff(added, removed, changed, unchanged, counts[ADDED], counts[REMOVED], counts[CHANGED])


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
