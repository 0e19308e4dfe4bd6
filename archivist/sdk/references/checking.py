"""Checking references against their sources without downloading them: one
metadata request (HEAD, or a stat for ``file://``) per reference, several at a
time, with a progress bar on a terminal."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archivist.core.errors import ArchivistError
from archivist.core.manifest import Entry
from archivist.sdk.references import handler_for
from archivist.sdk.termlog import count_progress

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact
    from archivist.sdk.context import Context

DEFAULT_WORKERS = 16
_BATCH = 512  # references in flight at once, so 100,000 entries do not become 100,000 futures


@dataclass
class ReferenceReport:
    checked: int = 0
    """References compared with their source."""
    unverifiable: list[Entry] = field(default_factory=list)
    """References that recorded nothing to compare with (checksum=False, unknown schemes)."""
    problems: list[tuple[Entry, str]] = field(default_factory=list)
    """References that no longer match, with the reason, in manifest order."""


def check_references(
    ctx: Context, entries: Iterable[Entry], workers: int = DEFAULT_WORKERS
) -> ReferenceReport:
    """Compare every reference entry with its source (stored files are ignored)."""
    report = ReferenceReport()
    checkable: list[Entry] = []
    for entry in entries:
        if entry.ref is None:
            continue
        if handler_for(entry.ref, ctx).records_checksum(entry):
            checkable.append(entry)
        else:
            report.unverifiable.append(entry)
    report.checked = len(checkable)
    with count_progress("Checking references", "references", total=len(checkable)) as advance:
        for entry, reason in _checked(ctx, checkable, workers, advance):
            if reason is not None:
                report.problems.append((entry, reason))
    return report


def _checked(
    ctx: Context, entries: Sequence[Entry], workers: int, advance: Callable[[int], None]
) -> Iterator[tuple[Entry, str | None]]:
    def check(entry: Entry) -> tuple[Entry, str | None]:
        try:
            return entry, handler_for(entry.ref or "", ctx).check(entry)
        except ArchivistError as error:  # e.g. a bucket that is gone: a problem of this entry
            return entry, error.message

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(entries) or 1))) as pool:
        iterator = iter(entries)
        while batch := list(itertools.islice(iterator, _BATCH)):
            for result in pool.map(check, batch):
                advance(1)
                yield result


def check_version_references(artifact: Artifact, workers: int = DEFAULT_WORKERS) -> ReferenceReport:
    """``check_references`` over every entry of a logged version."""
    return check_references(artifact.context, artifact.core_manifest, workers)
