"""Lineage: run -> version edges (the run logged it) and version -> run edges (the
run used it), and breadth-first walks over both to any depth."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, Table, select, update

from archivist.core.errors import InvalidInputError
from archivist.core.ids import split_run_path
from archivist.core.models import (
    Direction,
    LineageEdge,
    LineageGraph,
    LineageNode,
    RunRef,
    VersionState,
)
from archivist.metadata.dialects import insert_ignoring_conflict
from archivist.metadata.schema import logged_edges, used_edges, versions
from archivist.service.records import chunked, runs_by_pk, versions_by_id
from archivist.service.runs import run_pk
from archivist.service.timestamps import utc_now
from archivist.service.validation import parse_enum
from archivist.service.versions import require_version_row

RUN = "run"
VERSION = "version"
LOGGED = "logged"
USED = "used"

Node = tuple[str, int]  # (RUN, run primary key) or (VERSION, version id)
Edge = tuple[Node, Node, str]  # source, target, LOGGED or USED


def record_logged(connection: Connection, run_pk: int, version_id: int) -> None:
    """The run logged the version; the first run that did is its producer."""
    row = {"run_pk": run_pk, "version_id": version_id, "created_at": utc_now()}
    insert_ignoring_conflict(connection, logged_edges, row, ["run_pk", "version_id"])
    connection.execute(
        update(versions)
        .where(versions.c.id == version_id, versions.c.producer_run_id.is_(None))
        .values(producer_run_id=run_pk)
    )


def record_use(connection: Connection, run_pk: int, version_id: int) -> None:
    row = {"version_id": version_id, "run_pk": run_pk, "created_at": utc_now()}
    insert_ignoring_conflict(connection, used_edges, row, ["version_id", "run_pk"])


def consumer_pks(connection: Connection, version_id: int) -> list[int]:
    """Runs that used the version, in the order they first did."""
    statement = (
        select(used_edges.c.run_pk).where(used_edges.c.version_id == version_id).order_by(used_edges.c.id)
    )
    return list(connection.execute(statement).scalars())


def committed_versions_of_run(connection: Connection, edges: Table, run: int) -> list[int]:
    """Committed versions the run logged (``logged_edges``) or used (``used_edges``), in edge order."""
    statement = (
        select(edges.c.version_id)
        .join(versions, versions.c.id == edges.c.version_id)
        .where(edges.c.run_pk == run, versions.c.state == VersionState.COMMITTED.value)
        .order_by(edges.c.id)
    )
    return list(connection.execute(statement).scalars())


# --- graph walks ------------------------------------------------------------------------------


def lineage_graph(connection: Connection, node_id: str, direction: Direction, depth: int) -> LineageGraph:
    """The graph around ``node_id`` (a version id or a run path ``entity/project/run_id``),
    up to ``depth`` edges away, upstream (what it came from), downstream (what came of it) or both."""
    direction = parse_enum(Direction, direction, "lineage direction")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise InvalidInputError(f"invalid lineage depth {depth!r}: use a non-negative integer")
    root = _root_node(connection, node_id)
    nodes: dict[Node, None] = {root: None}
    edges: dict[Edge, None] = {}
    for upstream in (True, False):
        if direction is Direction.BOTH or (direction is Direction.UPSTREAM) == upstream:
            walked_nodes, walked_edges = _walk(connection, root, depth, upstream)
            nodes.update(walked_nodes)
            edges.update(walked_edges)
    return _graph(connection, root, list(nodes), list(edges))


def _root_node(connection: Connection, node_id: str) -> Node:
    if not isinstance(node_id, str) or not node_id:
        raise InvalidInputError(
            f"invalid lineage node {node_id!r}: use a version id or 'entity/project/run_id'"
        )
    run_path = split_run_path(node_id)
    if run_path is not None:
        return (RUN, run_pk(connection, RunRef(*run_path)))
    return (VERSION, require_version_row(connection, node_id).id)


def _walk(
    connection: Connection, root: Node, depth: int, upstream: bool
) -> tuple[dict[Node, None], dict[Edge, None]]:
    nodes: dict[Node, None] = {root: None}
    edges: dict[Edge, None] = {}
    frontier = [root]
    for _ in range(depth):
        if not frontier:
            break
        reached: list[Node] = []
        for edge in _edges_touching(connection, frontier, upstream):
            edges.setdefault(edge, None)
            neighbour = edge[0] if upstream else edge[1]
            if neighbour not in nodes:
                nodes[neighbour] = None
                reached.append(neighbour)
        frontier = reached
    return nodes, edges


def _edges_touching(connection: Connection, frontier: Sequence[Node], upstream: bool) -> Iterator[Edge]:
    """Edges whose target (upstream) or source (downstream) is in the frontier,
    leaving out deleted versions."""
    run_pks = [key for kind, key in frontier if kind == RUN]
    version_ids = [key for kind, key in frontier if kind == VERSION]
    # logged: run -> version; used: version -> run
    if upstream:
        yield from _edges(connection, logged_edges, logged_edges.c.version_id, version_ids)
        yield from _edges(connection, used_edges, used_edges.c.run_pk, run_pks)
    else:
        yield from _edges(connection, used_edges, used_edges.c.version_id, version_ids)
        yield from _edges(connection, logged_edges, logged_edges.c.run_pk, run_pks)


def _edges(connection: Connection, table: Table, match: object, keys: Sequence[int]) -> Iterator[Edge]:
    kind = LOGGED if table is logged_edges else USED
    for chunk in chunked(keys):
        statement = (
            select(table.c.run_pk, table.c.version_id)
            .join(versions, versions.c.id == table.c.version_id)
            .where(match.in_(chunk), versions.c.state != VersionState.DELETED.value)  # type: ignore[attr-defined]
            .order_by(table.c.id)
        )
        for run, version in connection.execute(statement):
            if kind == LOGGED:
                yield ((RUN, run), (VERSION, version), LOGGED)
            else:
                yield ((VERSION, version), (RUN, run), USED)


def _graph(connection: Connection, root: Node, nodes: list[Node], edges: list[Edge]) -> LineageGraph:
    run_keys = [key for kind, key in nodes if kind == RUN]
    run_records = dict(zip(run_keys, runs_by_pk(connection, run_keys), strict=True))  # runs are never deleted
    version_keys = [key for kind, key in nodes if kind == VERSION]
    version_records = {int(v.id): v for v in versions_by_id(connection, version_keys)}
    ids: dict[Node, str] = {}
    built: list[LineageNode] = []
    for node in nodes:
        kind, key = node
        if kind == RUN:
            run = run_records[key]
            label = f"{run.name} ({run.job_type})" if run.job_type else run.name
            ids[node] = run.ref.path
            built.append(LineageNode(kind=RUN, id=run.ref.path, label=label, run=run))
        else:
            version = version_records[key]
            ids[node] = version.id
            built.append(
                LineageNode(
                    kind=VERSION,
                    id=version.id,
                    label=f"{version.collection}:{version.version}",
                    version=version,
                )
            )
    return LineageGraph(
        root=ids[root],
        nodes=tuple(built),
        edges=tuple(LineageEdge(source=ids[s], target=ids[t], kind=kind) for s, t, kind in edges),
    )
