"""NotedManifests hands each noted summary to one commit and keeps only a few."""

from __future__ import annotations

from archivist.core.manifest import ManifestSummary
from archivist.service.noted_manifests import NotedManifests


def _summary(n: int) -> ManifestSummary:
    return ManifestSummary(f"{n:064x}", n, n, set())


def test_a_noted_summary_is_taken_once() -> None:
    noted = NotedManifests()
    noted.note("m1", _summary(1))
    assert noted.take("m1") == _summary(1)
    assert noted.take("m1") is None
    assert noted.take("never noted") is None


def test_only_the_newest_summaries_are_kept() -> None:
    noted = NotedManifests(limit=2)
    for n in range(4):
        noted.note(f"m{n}", _summary(n))
    assert [noted.take(f"m{n}") for n in range(4)] == [None, None, _summary(2), _summary(3)]
