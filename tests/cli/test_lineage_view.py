"""Drawing lineage graphs as trees, on hand-built graphs (no store needed)."""

from __future__ import annotations

import io

from rich.console import Console

from archivist.cli.lineage_view import lineage_tree
from archivist.core.models import (
    LineageEdge,
    LineageGraph,
    LineageNode,
    RunRecord,
    RunRef,
    RunState,
    VersionRecord,
    VersionState,
)

WHEN = "2024-01-01T00:00:00+00:00"


def run_node(run_id: str, job_type: str | None = "train", project: str = "p") -> LineageNode:
    ref = RunRef("e", project, run_id)
    record = RunRecord(ref, run_id, job_type, None, None, (), RunState.FINISHED, {}, {}, WHEN, WHEN)
    return LineageNode("run", ref.path, run_id, run=record)


def version_node(name: str, index: int = 0, aliases: tuple[str, ...] = (), project: str = "p") -> LineageNode:
    record = VersionRecord(
        id=f"id-{name}-{index}", entity="e", project=project, collection=name, type="dataset",
        version_index=index, digest="d", manifest_digest="m", size=1, file_count=1, description=None,
        metadata={}, aliases=aliases, tags=(), ttl_seconds=None, state=VersionState.COMMITTED,
        created_at=WHEN, updated_at=WHEN,
    )  # fmt: skip
    return LineageNode("version", record.id, f"dataset {name}:v{index}", version=record)


def render(graph: LineageGraph, ways: tuple[str, ...] = ("up", "down")) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(lineage_tree(graph, ways))
    return out.getvalue()


def edges(*pairs: tuple[LineageNode, LineageNode]) -> tuple[LineageEdge, ...]:
    return tuple(LineageEdge(a.id, b.id, "logged" if a.kind == "run" else "used") for a, b in pairs)


def test_upstream_and_downstream_read_as_logged_by_and_used_by():
    raw, ingest, prep, clean, other = (
        version_node("raw", aliases=("latest",)),
        run_node("ingest", "ingest"),
        run_node("prep", None),
        version_node("clean", 2),
        version_node("far", project="elsewhere"),
    )
    root = version_node("mid")
    consumer = run_node("consumer")
    graph = LineageGraph(
        root=root.id,
        nodes=(raw, ingest, prep, clean, other, root, consumer),
        edges=edges(
            (ingest, raw), (raw, prep), (other, prep), (prep, root), (root, consumer), (consumer, clean)
        ),
    )
    lines = [line.lstrip("│├└─ ") for line in render(graph).splitlines()]
    assert lines == [
        "dataset mid:v0",
        "upstream (made from)",
        "logged by run prep (no job type, finished)  e/p/prep",
        "used dataset e/elsewhere/far:v0",
        "used dataset raw:v0 [latest]",
        "logged by run ingest (ingest, finished)  e/p/ingest",
        "downstream (went into)",
        "used by run consumer (train, finished)  e/p/consumer",
        "logged dataset clean:v2",
    ]


def test_a_diamond_is_drawn_once_and_referenced_after():
    root, a, b, shared, source = (
        version_node("root"), run_node("a"), run_node("b"), version_node("shared"), run_node("source"),
    )  # fmt: skip
    graph = LineageGraph(
        root=root.id,
        nodes=(root, a, b, shared, source),
        edges=edges((a, root), (b, root), (shared, a), (shared, b), (source, shared)),
    )
    text = render(graph, ("up",))
    assert text.count("logged by run source") == 1
    assert text.count("used dataset shared:v0 (see above)") == 1
    assert "downstream" not in text


def test_nothing_recorded_and_unknown_nodes_still_render():
    root = version_node("alone")
    assert "(nothing recorded)" in render(LineageGraph(root.id, (root,), ()), ("down",))

    ghost = LineageEdge("e/p/ghost-run", root.id, "logged")
    text = render(LineageGraph(root.id, (root,), (ghost,)), ("up",))
    assert "e/p/ghost-run" in text
