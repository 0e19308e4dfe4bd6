"""The UI's pure parts: lineage levels and clusters, diffs, folder listings, paging,
metric series, Markdown and formatting."""

from __future__ import annotations

from pathlib import Path

import pytest

from archivist.core.manifest import Entry, Manifest, hash_bytes
from archivist.core.models import LineageEdge, LineageGraph, LineageNode
from archivist.core.settings import Settings
from archivist.server.ui.diffing import diff_manifests, diff_metadata, flatten
from archivist.server.ui.lineage_view import CLUSTER_THRESHOLD, Depths, clusters, levels
from archivist.server.ui.manifests import ManifestCache, list_folder
from archivist.server.ui.markdown import SafeMarkdown
from archivist.server.ui.metric_history import MAX_POINTS, chart_series
from archivist.server.ui.paging import Paging
from archivist.server.ui.rendering import format_duration, format_time
from archivist.server.ui.routes_auth import safe_next
from archivist.service.embedded import LocalBackend

DIGEST = "0" * 64


def entry(path: str, size: int = 1, digest: str = DIGEST, ref: str | None = None) -> Entry:
    return Entry(path=path, digest=digest, size=size, ref=ref)


def graph(root: str, edges: list[tuple[str, str, str]]) -> LineageGraph:
    ids = {root} | {s for s, _, _ in edges} | {t for _, t, _ in edges}
    nodes = tuple(LineageNode(kind="version", id=i, label=i) for i in sorted(ids))
    return LineageGraph(root, nodes, tuple(LineageEdge(s, t, k) for s, t, k in edges))


def test_levels_count_hops_against_and_along_the_edges() -> None:
    up = graph("v", [("r1", "v", "logged"), ("v0", "r1", "used"), ("r0", "v0", "logged")])
    down = graph("v", [("v", "r2", "used"), ("r2", "v2", "logged")])
    assert levels("v", up, down) == {"v": 0, "r1": -1, "v0": -2, "r0": -3, "r2": 1, "v2": 2}


def test_a_node_reached_both_ways_keeps_its_upstream_level() -> None:
    up = graph("v", [("r", "v", "logged")])
    down = graph("v", [("v", "r", "used")])  # the run used what it logged: a cycle
    assert levels("v", up, down)["r"] == -1


def test_clusters_group_big_levels_of_one_kind() -> None:
    rows = [{"id": "root", "level": 0, "kind": "version"}]
    rows += [{"id": f"r{i}", "level": 1, "kind": "run"} for i in range(CLUSTER_THRESHOLD)]
    rows += [{"id": f"v{i}", "level": 2, "kind": "version"} for i in range(CLUSTER_THRESHOLD - 1)]
    found = clusters(rows, "root")
    assert [(c["id"], c["label"], len(c["members"])) for c in found] == [
        ("cluster:1:run", f"{CLUSTER_THRESHOLD} runs", CLUSTER_THRESHOLD)
    ]


def test_depths_are_parsed_and_clamped() -> None:
    assert Depths.parse("3", "0") == Depths(3, 0)
    assert Depths.parse("-1", "99") == Depths(0, 10)
    assert Depths.parse("x", None) == Depths(2, 2)


def test_manifest_diff() -> None:
    old = Manifest([entry("a", 1), entry("b", 2), entry("c", 3, ref="s3://x/c")])
    new = Manifest(
        [entry("a", 1), entry("b", 5, digest="1" * 64), entry("d", 4), entry("c", 3, ref="s3://y/c")]
    )
    diff = diff_manifests(old, new)
    assert [e.path for e in diff.added] == ["d"]
    assert [e.path for e in diff.removed] == []
    assert [(c.path, c.size_delta) for c in diff.changed] == [("b", 3), ("c", 0)]
    assert diff.unchanged_count == 1


def test_metadata_diff_flattens_nested_keys() -> None:
    assert flatten({"a": {"b": 1, "c": {}}, "d": [1]}) == {"a.b": 1, "a.c": {}, "d": [1]}
    diff = diff_metadata(
        {"a": {"b": 1}, "gone": 1, "same": 2, "t": 1}, {"a": {"b": 2}, "new": 3, "same": 2, "t": 1.0}
    )
    assert [(c.key, c.old, c.new) for c in diff.changed] == [("a.b", 1, 2), ("t", 1, 1.0)]
    assert [c.key for c in diff.added] == ["new"] and [c.key for c in diff.removed] == ["gone"]
    assert diff_metadata({"x": 1}, {"x": 1}).empty


def test_folder_listing_sums_subfolders() -> None:
    manifest = Manifest([entry("r.txt", 1), entry("d/a.txt", 2), entry("d/e/b.txt", 3), entry("z/c", 4)])
    root = list_folder(manifest, "")
    assert [(f.name, f.file_count, f.size) for f in root.folders] == [("d", 2, 5), ("z", 1, 4)]
    assert [e.path for e in root.files] == ["r.txt"]
    inner = list_folder(manifest, "d/")
    assert (
        inner.path == "d"
        and [f.path for f in inner.folders] == ["d/e"]
        and [e.path for e in inner.files] == ["d/a.txt"]
    )
    assert list_folder(manifest, "nope").children == []


def test_manifest_cache_evicts_by_entry_count(tmp_path: Path) -> None:
    backend = LocalBackend(
        Settings.from_env({"ARCHIVIST_DIR": str(tmp_path), "ARCHIVIST_CACHE_DIR": str(tmp_path / "c")})
    )
    try:
        digests = []
        for size in (3, 3, 3):
            data = Manifest([entry(f"f{i}-{len(digests)}") for i in range(size)]).to_bytes()
            backend.upload_bytes(hash_bytes(data), data)
            digests.append(hash_bytes(data))
        cache = ManifestCache(entry_budget=6)
        first = cache.manifest(backend, digests[0])
        assert cache.manifest(backend, digests[0]) is first
        cache.manifest(backend, digests[1])
        cache.manifest(backend, digests[2])  # 9 entries > 6: the oldest goes
        assert cache.manifest(backend, digests[0]) is not first
    finally:
        backend.close()


def test_paging() -> None:
    page = Paging(3, 50, 120)
    assert (page.offset, page.pages, page.has_previous, page.has_next) == (100, 3, True, False)
    assert Paging(99, 50, 120).number == 3 and Paging(0, 50, 0).number == 1
    unknown = Paging(2, 10, 100).with_more(True)
    assert unknown.total is None and unknown.has_next and unknown.offset == 10


def test_metric_series_skip_private_and_non_numeric_keys() -> None:
    rows = [{"_step": 0, "loss": 1.0, "_runtime": 3, "name": "x", "ok": True}, {"_step": 1, "acc": 0.5}]
    series = chart_series(rows)
    assert series["steps"] == [0, 1]
    assert series["series"] == [
        {"name": "acc", "values": [None, 0.5]},
        {"name": "loss", "values": [1.0, None]},
    ]


def test_long_histories_are_thinned_keeping_the_last_row() -> None:
    rows = [{"_step": i, "loss": float(i)} for i in range(10 * MAX_POINTS + 7)]
    series = chart_series(rows)
    assert (
        len(series["steps"]) <= MAX_POINTS
        and series["steps"][0] == 0
        and series["steps"][-1] == rows[-1]["_step"]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>x()</script>", "<p>&lt;script&gt;x()&lt;/script&gt;</p>\n"),
        ("[a](javascript:alert(1))", "<p>[a](javascript:alert(1))</p>\n"),
        ("[a](/relative)", "<p>[a](/relative)</p>\n"),
        ("[a](HTTPS://x.y)", '<p><a href="HTTPS://x.y" rel="nofollow noopener noreferrer">a</a></p>\n'),
        ("[m](mailto:a@b.c)", '<p><a href="mailto:a@b.c" rel="nofollow noopener noreferrer">m</a></p>\n'),
        ("![i](data:image/png;base64,AA)", "<p>![i](data:image/png;base64,AA)</p>\n"),
        ("| a |\n|---|\n| 1 |", "<table>"),
    ],
)
def test_markdown_keeps_only_safe_markup(text: str, expected: str) -> None:
    html = str(SafeMarkdown().render_markup(text))
    assert html.startswith(expected)


def test_formatting() -> None:
    assert format_time("2024-05-01T10:03:04.5+02:00") == "2024-05-01 08:03:04 UTC"
    assert format_time("not a time") == "not a time"
    assert format_duration(None) == "none"
    assert format_duration(90061) == "1 day 1 hour"
    assert format_duration(60) == "1 minute"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ui/artifacts/x", "/ui/artifacts/x"),
        ("//evil/ui/", "/ui/"),
        ("https://evil/ui/", "/ui/"),
        ("", "/ui/"),
    ],
)
def test_safe_next(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_diff_counts_every_change_and_keeps_the_first_rows() -> None:
    old = Manifest([entry(f"f{i:02d}", 1) for i in range(10)])
    new = Manifest([entry(f"f{i:02d}", 1, digest="1" * 64) for i in range(6)] + [entry("g", 2)])
    diff = diff_manifests(old, new, keep=2)
    assert (diff.added_count, diff.removed_count, diff.changed_count, diff.unchanged_count) == (1, 4, 6, 0)
    assert [c.path for c in diff.changed] == ["f00", "f01"] and [e.path for e in diff.removed] == [
        "f06",
        "f07",
    ]


@pytest.mark.parametrize("streamed", [False, True])
def test_large_versions_are_listed_looked_up_and_compared_as_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    """Above STREAM_FROM_ENTRIES a version's manifest is never loaded whole; the answers
    are the same either way."""
    import archivist
    from archivist.server.ui import manifests

    monkeypatch.setenv("ARCHIVIST_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("ARCHIVIST_CACHE_DIR", str(tmp_path / "cache"))
    if streamed:
        monkeypatch.setattr(manifests, "STREAM_FROM_ENTRIES", 3)
    folder = tmp_path / "data"
    for relative, text in {"r.txt": "r", "d/a.txt": "a", "d/e/b.txt": "bb", "z/c": "ccc"}.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    with archivist.init(project="p") as run:
        first = archivist.Artifact("big", "dataset")
        first.add_dir(str(folder))
        run.log_artifact(first).wait()
    (folder / "d" / "a.txt").write_text("changed")
    (folder / "new.txt").write_text("new")
    (folder / "z" / "c").unlink()
    with archivist.init(project="p") as run:
        second = archivist.Artifact("big", "dataset")
        second.add_dir(str(folder))
        run.log_artifact(second).wait()
    backend = LocalBackend(
        Settings.from_env(
            {"ARCHIVIST_DIR": str(tmp_path / "store"), "ARCHIVIST_CACHE_DIR": str(tmp_path / "c")}
        )
    )
    try:
        old = backend.resolve_version("local", "p", "big", "v0")
        new = backend.resolve_version("local", "p", "big", "v1")
        cache = ManifestCache()
        root = manifests.folder_listing(cache, backend, old, "")
        assert [(f.name, f.file_count, f.size) for f in root.folders] == [("d", 2, 3), ("z", 1, 3)]
        assert [e.path for e in root.files] == ["r.txt"]
        inner = manifests.folder_listing(cache, backend, old, "d")
        assert [f.path for f in inner.folders] == ["d/e"] and [e.path for e in inner.files] == ["d/a.txt"]
        found = manifests.find_entry(cache, backend, old, "d/e/b.txt")
        assert found is not None and found.size == 2
        assert manifests.find_entry(cache, backend, old, "d/e") is None
        diff = manifests.compare_files(cache, backend, old, new, keep=10)
        assert [e.path for e in diff.added] == ["new.txt"] and [e.path for e in diff.removed] == ["z/c"]
        assert [c.path for c in diff.changed] == ["d/a.txt"] and diff.unchanged_count == 2
        assert (len(cache._manifests) == 0) is streamed  # streamed: nothing was loaded whole
    finally:
        backend.close()
