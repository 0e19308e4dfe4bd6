"""``Artifact.diff(other)``: the paths added, removed and changed between two versions
(an Archivist extension). Built by merging both manifests in path order, so only
the differences are held, never the two manifests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from archivist.core.manifest_diff import ADDED, CHANGED, REMOVED, EntryChange
from archivist.core.sizes import format_size

__all__ = ["ArtifactDiff", "EntryChange"]


class ArtifactDiff:
    """The changes from ``old`` to ``new``, in path order.

    Iterating gives each ``EntryChange`` (``path``, ``status`` -- "added", "removed" or
    "changed" --, ``old``/``new`` entries, ``old_size``/``new_size``); ``len()`` counts
    them; ``added``, ``removed`` and ``changed`` list each kind; ``unchanged_count``
    counts the paths that are the same in both.
    """

    def __init__(self, old_name: str, new_name: str, changes: Iterable[EntryChange | None]) -> None:
        self.old_name = old_name
        self.new_name = new_name
        self._changes: list[EntryChange] = []
        self.unchanged_count = 0
        for change in changes:
            if change is None:
                self.unchanged_count += 1
            else:
                self._changes.append(change)

    def _of(self, status: str) -> list[EntryChange]:
        return [change for change in self._changes if change.status == status]

    @property
    def added(self) -> list[EntryChange]:
        return self._of(ADDED)

    @property
    def removed(self) -> list[EntryChange]:
        return self._of(REMOVED)

    @property
    def changed(self) -> list[EntryChange]:
        return self._of(CHANGED)

    @property
    def size_delta(self) -> int:
        """Bytes the new version has more (negative: fewer) than the old one."""
        return sum(change.size_delta for change in self._changes)

    def __iter__(self) -> Iterator[EntryChange]:
        return iter(self._changes)

    def __len__(self) -> int:
        return len(self._changes)

    def __bool__(self) -> bool:
        return bool(self._changes)

    def __repr__(self) -> str:
        counts: dict[str, int] = {ADDED: 0, REMOVED: 0, CHANGED: 0}
        for change in self._changes:
            counts[change.status] += 1
        delta = self.size_delta
        sign = "+" if delta >= 0 else "-"
        return (
            f"<ArtifactDiff {self.old_name} -> {self.new_name}: {counts[ADDED]:,} added, "
            f"{counts[REMOVED]:,} removed, {counts[CHANGED]:,} changed, "
            f"{self.unchanged_count:,} unchanged; {sign}{format_size(abs(delta))}>"
        )
