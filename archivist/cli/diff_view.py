"""``archivist artifact diff``: the SDK's ``Artifact.diff`` and the metadata keys that
differ, as lines for people or JSON for scripts."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from archivist.cli.formatting import plural
from archivist.core.sizes import format_size

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact
    from archivist.sdk.artifact_diff import ArtifactDiff

_MARKS = {"added": "+", "removed": "-", "changed": "~"}
_MISSING = object()
_VERSION = re.compile(r"^v\d+$")


def same_collection(old: str, new: str) -> str:
    """``new`` as a full path: ``v3`` or ``:alias`` means that version of ``old``'s collection."""
    base = old.partition(":")[0]
    if new.startswith(":"):
        return base + new
    if _VERSION.match(new):
        return f"{base}:{new}"
    return new


def metadata_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The top-level keys added, removed or changed, sorted by key."""
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key, _MISSING), new.get(key, _MISSING)
        if before == after:
            continue
        change: dict[str, Any] = {"key": key}
        if before is _MISSING:
            change.update(status="added", new=after)
        elif after is _MISSING:
            change.update(status="removed", old=before)
        else:
            change.update(status="changed", old=before, new=after)
        changes.append(change)
    return changes


def _name(artifact: Artifact) -> str:
    return f"{artifact.qualified_name}"


def diff_json(before: Artifact, after: Artifact, changes: ArtifactDiff) -> dict[str, Any]:
    return {
        "old": _name(before),
        "new": _name(after),
        "files": [
            {
                "path": change.path,
                "status": change.status,
                "old_size": change.old_size,
                "new_size": change.new_size,
            }
            for change in changes
        ],
        "added": len(changes.added),
        "removed": len(changes.removed),
        "changed": len(changes.changed),
        "unchanged": changes.unchanged_count,
        "size_delta": changes.size_delta,
        "metadata": metadata_changes(before.metadata, after.metadata),
    }


def _sizes(old_size: int | None, new_size: int | None) -> str:
    if old_size is None:
        return format_size(new_size or 0)
    if new_size is None:
        return format_size(old_size)
    return f"{format_size(old_size)} -> {format_size(new_size)}"


def diff_lines(before: Artifact, after: Artifact, changes: ArtifactDiff) -> list[str]:
    delta = changes.size_delta
    sign = "+" if delta >= 0 else "-"
    lines = [
        f"{_name(before)} -> {_name(after)}: {len(changes.added):,} added, {len(changes.removed):,} removed, "
        f"{len(changes.changed):,} changed, {changes.unchanged_count:,} unchanged "
        f"({plural(len(changes), 'change')}, {sign}{format_size(abs(delta))})"
    ]
    lines.extend(
        f"{_MARKS[change.status]} {change.path} ({_sizes(change.old_size, change.new_size)})"
        for change in changes
    )
    metadata = metadata_changes(before.metadata, after.metadata)
    if metadata:
        lines.append("metadata:")
        for change in metadata:
            values = [json.dumps(change[side]) for side in ("old", "new") if side in change]
            lines.append(f"{_MARKS[change['status']]} {change['key']}: {' -> '.join(values)}")
    return lines
