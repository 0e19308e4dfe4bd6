"""The lineage graph of a version drawn as a rich Tree.

Upstream reads "made from": version <- logged by run <- used version <- ...;
downstream reads "went into": version -> used by run -> logged version -> ...
A node whose branch was already drawn is marked "(see above)" instead of being
drawn again, so diamonds in the graph (one version used by many runs that feed
one run) keep the output proportional to the graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from archivist.core.errors import InvalidInputError
from archivist.core.models import Direction, LineageGraph, LineageNode

DIRECTIONS = {"up": Direction.UPSTREAM, "down": Direction.DOWNSTREAM, "both": Direction.BOTH}
DEFAULT_DEPTH = 6
"""Hops from the version: 6 reaches three generations of runs each way."""

_RELATIONS = {  # (direction, node kind) -> how the node relates to its parent in the tree
    ("up", "run"): "logged by",
    ("up", "version"): "used",
    ("down", "run"): "used by",
    ("down", "version"): "logged",
}


def direction_of(name: str) -> Direction:
    try:
        return DIRECTIONS[name]
    except KeyError:
        raise InvalidInputError(
            f"invalid lineage direction {name!r}: use one of {', '.join(DIRECTIONS)}"
        ) from None


def run_text(node: LineageNode) -> Text:
    run = node.run
    if run is None:
        return Text.assemble(("run ", "green"), (node.label, "bold green"))
    job = run.job_type or "no job type"
    return Text.assemble(
        ("run ", "green"),
        (run.name, "bold green"),
        f" ({job}, {run.state.value})",
        (f"  {run.ref.path}", "dim"),
    )


def version_text(node: LineageNode, home: tuple[str, str] | None) -> Text:
    version = node.version
    if version is None:
        return Text(node.label, style="bold blue")
    name = f"{version.collection}:{version.version}"
    if home is not None and (version.entity, version.project) != home:
        name = f"{version.entity}/{version.project}/{name}"
    text = Text.assemble((f"{version.type} ", "blue"), (name, "bold blue"))
    if version.aliases:
        text.append(f" [{', '.join(version.aliases)}]", style="yellow")
    return text


def node_text(node: LineageNode, home: tuple[str, str] | None, relation: str = "") -> Text:
    text = Text()
    if relation:
        text.append(f"{relation} ", style="dim")
    text.append_text(run_text(node) if node.kind == "run" else version_text(node, home))
    return text


def created_at(node: LineageNode) -> str:
    record = node.run or node.version
    return record.created_at if record is not None else ""


class _TreeBuilder:
    def __init__(self, graph: LineageGraph) -> None:
        self.nodes = {node.id: node for node in graph.nodes}
        self.parents: dict[str, list[str]] = defaultdict(list)  # node -> what it came from
        self.children: dict[str, list[str]] = defaultdict(list)  # node -> what came from it
        for edge in graph.edges:
            self.children[edge.source].append(edge.target)
            self.parents[edge.target].append(edge.source)
        root = self.node(graph.root)
        self.home = (root.version.entity, root.version.project) if root.version else None
        self.drawn: set[tuple[str, str]] = set()

    def node(self, node_id: str) -> LineageNode:
        found = self.nodes.get(node_id)
        return found or LineageNode(kind="version", id=node_id, label=node_id)

    def neighbours(self, node_id: str, way: str) -> list[LineageNode]:
        ids = self.parents[node_id] if way == "up" else self.children[node_id]
        return sorted(
            (self.node(i) for i in dict.fromkeys(ids)), key=lambda n: (n.label, created_at(n), n.id)
        )

    def grow(self, branch: Tree, node_id: str, way: str, path: frozenset[str]) -> None:
        for neighbour in self.neighbours(node_id, way):
            if neighbour.id in path:  # a cycle cannot happen in lineage, but never loop
                continue
            text = node_text(neighbour, self.home, _RELATIONS[(way, neighbour.kind)])
            key = (neighbour.id, way)
            if key in self.drawn and self.neighbours(neighbour.id, way):
                branch.add(text.append(" (see above)", style="dim"))
                continue
            self.drawn.add(key)
            self.grow(branch.add(text), neighbour.id, way, path | {neighbour.id})


def lineage_tree(graph: LineageGraph, ways: Iterable[str] = ("up", "down")) -> Tree:
    """The tree of ``graph`` from its root; ``ways`` picks the 'up' and/or 'down' sections."""
    builder = _TreeBuilder(graph)
    tree = Tree(node_text(builder.node(graph.root), builder.home))
    titles = {"up": "upstream (made from)", "down": "downstream (went into)"}
    for way in ways:
        section = tree.add(Text(titles[way], style="italic"))
        if not builder.neighbours(graph.root, way):
            section.add(Text("(nothing recorded)", style="dim"))
        builder.grow(section, graph.root, way, frozenset({graph.root}))
    return tree


def ways_for(direction: str) -> tuple[str, ...]:
    return ("up", "down") if direction == "both" else (direction,)


def print_lineage(path: str, console: Console, depth: int = DEFAULT_DEPTH, direction: str = "both") -> None:
    """Query the lineage of an artifact path and print it as a tree."""
    import archivist

    graph = archivist.Api().lineage(path, depth=depth, direction=direction_of(direction).value)
    console.print(lineage_tree(graph, ways_for(direction)))
