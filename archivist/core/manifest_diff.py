"""What changed between two manifests, by merging their entries in path order.

Both inputs are streams sorted by path (what ``iter_manifest_lines``,
``iter_manifest_entries`` and ``Manifest.sorted_entries`` give), so the merge
holds one entry of each side at a time however large the manifests are; only
the differences are kept. Over stored manifests it compares line texts and
decodes only the lines that differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from archivist.core.manifest_entry import Entry
from archivist.core.manifest_reader import RawLine, entry_of, lines_of_entries

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One path that differs: ``old`` is None when added, ``new`` is None when removed."""

    path: str
    old: Entry | None
    new: Entry | None

    @property
    def status(self) -> str:
        if self.old is None:
            return ADDED
        return REMOVED if self.new is None else CHANGED

    @property
    def old_size(self) -> int | None:
        return None if self.old is None else self.old.size

    @property
    def new_size(self) -> int | None:
        return None if self.new is None else self.new.size

    @property
    def size_delta(self) -> int:
        return (self.new_size or 0) - (self.old_size or 0)


def same_content(old: Entry, new: Entry) -> bool:
    """Whether two entries at one path hold the same thing (digest and reference)."""
    return old.digest == new.digest and old.ref == new.ref


def diff_sorted(old: Iterable[Entry], new: Iterable[Entry]) -> Iterator[EntryChange | None]:
    """The changes from ``old`` to ``new`` (entries sorted by path, each once: ``ValueError``
    otherwise) in path order; ``None`` for each unchanged path, so a caller can count them."""
    return diff_lines(lines_of_entries(old), lines_of_entries(new))


def diff_lines(old: Iterable[RawLine], new: Iterable[RawLine]) -> Iterator[EntryChange | None]:
    """Like ``diff_sorted`` over manifest lines (``iter_manifest_lines``): two identical lines
    are an unchanged path without being decoded; only differing lines are decoded."""
    olds, news = iter(old), iter(new)
    before, after = next(olds, None), next(news, None)
    while before is not None or after is not None:
        if after is None or (before is not None and before[0] < after[0]):
            assert before is not None
            yield EntryChange(before[0], entry_of(before), None)
            before = next(olds, None)
        elif before is None or after[0] < before[0]:
            yield EntryChange(after[0], None, entry_of(after))
            after = next(news, None)
        else:
            if before[1] is None or before[1] != after[1]:
                old_entry, new_entry = entry_of(before), entry_of(after)
                yield (
                    None
                    if same_content(old_entry, new_entry)
                    else EntryChange(after[0], old_entry, new_entry)
                )
            else:
                yield None
            before, after = next(olds, None), next(news, None)
