"""The lineage graph as the browser draws it.

The upstream walk and the downstream walk around one node are merged; every
node gets its level (negative upstream, positive downstream, 0 for the root),
the details shown when it is clicked and the addresses to open it. A level
holding ``CLUSTER_THRESHOLD`` or more nodes of one kind starts collapsed into a
cluster node (SPEC Part B §5), which the page can search and expand.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from archivist.core.models import Direction, LineageEdge, LineageGraph, LineageNode
from archivist.core.sizes import format_size
from archivist.server.ui import urls
from archivist.server.ui.rendering import format_time
from archivist.server.ui.ui_backend import UiBackend

CLUSTER_THRESHOLD = 5
MAX_DEPTH = 10
DEFAULT_DEPTH = 2


@dataclass(frozen=True)
class Depths:
    upstream: int
    downstream: int

    @classmethod
    def parse(cls, upstream: object, downstream: object) -> Depths:
        return cls(_depth(upstream), _depth(downstream))


def _depth(value: object) -> int:
    try:
        depth = int(str(value))
    except ValueError:
        return DEFAULT_DEPTH
    return max(0, min(MAX_DEPTH, depth))


def walk(backend: UiBackend, node_id: str, depths: Depths) -> tuple[LineageGraph, LineageGraph]:
    up = backend.lineage(node_id, Direction.UPSTREAM, depths.upstream)
    down = backend.lineage(node_id, Direction.DOWNSTREAM, depths.downstream)
    return up, down


def levels(root: str, upstream: LineageGraph, downstream: LineageGraph) -> dict[str, int]:
    """Hops from the root: negative against the edges (upstream), positive along them."""
    found = {root: 0}
    _bfs(found, root, upstream.edges, forward=False)
    _bfs(found, root, downstream.edges, forward=True)
    return found


def _bfs(found: dict[str, int], root: str, edges: tuple[LineageEdge, ...], forward: bool) -> None:
    neighbours: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        if forward:
            neighbours[edge.source].append(edge.target)
        else:
            neighbours[edge.target].append(edge.source)
    step = 1 if forward else -1
    queue = deque([root])
    local = {root: 0}
    while queue:
        node = queue.popleft()
        for neighbour in neighbours[node]:
            if neighbour not in local:
                local[neighbour] = local[node] + step
                queue.append(neighbour)
    for node, level in local.items():
        found.setdefault(node, level)


def graph_data(upstream: LineageGraph, downstream: LineageGraph, depths: Depths) -> dict[str, Any]:
    """Plain JSON for the page's script (embedded with ``|tojson``)."""
    root = upstream.root
    level_of = levels(root, upstream, downstream)
    nodes: dict[str, LineageNode] = {n.id: n for n in (*upstream.nodes, *downstream.nodes)}
    edges = {(e.source, e.target, e.kind): e for e in (*upstream.edges, *downstream.edges)}
    node_rows = [_node_row(node, level_of.get(node.id, 0), depths) for node in nodes.values()]
    return {
        "root": root,
        "nodes": node_rows,
        "edges": [{"source": s, "target": t, "kind": k} for s, t, k in edges],
        "clusters": clusters(node_rows, root),
        "cluster_threshold": CLUSTER_THRESHOLD,
        "depths": {"upstream": depths.upstream, "downstream": depths.downstream},
    }


def clusters(node_rows: list[dict[str, Any]], root: str) -> list[dict[str, Any]]:
    groups: dict[tuple[int, str], list[str]] = defaultdict(list)
    for row in node_rows:
        if row["id"] != root:
            groups[(row["level"], row["kind"])].append(row["id"])
    found = []
    for (level, kind), members in sorted(groups.items()):
        if len(members) >= CLUSTER_THRESHOLD:
            noun = "runs" if kind == "run" else "versions"
            found.append(
                {
                    "id": f"cluster:{level}:{kind}",
                    "level": level,
                    "kind": kind,
                    "label": f"{len(members)} {noun}",
                    "members": members,
                }
            )
    return found


def _node_row(node: LineageNode, level: int, depths: Depths) -> dict[str, Any]:
    query = {"up": depths.upstream, "down": depths.downstream}
    if node.hidden:
        return {
            "id": node.id,
            "kind": node.kind,
            "label": node.label,
            "level": level,
            "hidden": True,
            "url": "",
            "lineage_url": "",
            "details": [["Access", f"this {node.kind} belongs to an entity you have no role in"]],
        }
    if node.run is not None:
        run = node.run
        return {
            "id": node.id,
            "kind": "run",
            "label": node.label,
            "level": level,
            "url": urls.run_url(run.ref),
            "lineage_url": urls.with_query(urls.run_url(run.ref, "lineage"), **query),
            "details": [
                ["Run", run.name],
                ["Path", run.ref.path],
                ["Job type", run.job_type or ""],
                ["State", run.state.value],
                ["Created", format_time(run.created_at)],
            ],
        }
    version = node.version
    assert version is not None, f"lineage node {node.id} is neither a run nor a version"
    return {
        "id": node.id,
        "kind": "version",
        "label": f"{version.type} · {node.label}",
        "level": level,
        "url": urls.version_url(version),
        "lineage_url": urls.with_query(urls.version_url(version, "lineage"), **query),
        "details": [
            ["Version", f"{version.qualified_collection}:{version.version}"],
            ["Type", version.type],
            ["Aliases", ", ".join(version.aliases)],
            ["Size", format_size(version.size)],
            ["Created", format_time(version.created_at)],
        ],
    }
