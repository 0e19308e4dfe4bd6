"""The package's import graph, read with ``ast`` (nothing is imported), and the layer rules.

Every import counts: module level, inside functions and under ``if TYPE_CHECKING``. A
``from a.b import c`` names the module ``a.b.c`` when that is a module of the package,
otherwise ``a.b``. ``tests/test_layers.py`` checks the rules against the graph.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "archivist"
ROOT = Path(__file__).resolve().parent.parent

ALLOWED: Mapping[str, frozenset[str]] = {
    "cli": frozenset({"sdk", "server", "client", "service", "metadata", "storage", "core", "wire"}),
    "sdk": frozenset({"client", "core", "wire"}),
    "client": frozenset({"service", "core", "wire"}),
    "server": frozenset({"service", "metadata", "storage", "core", "wire"}),
    "service": frozenset({"metadata", "storage", "core", "wire"}),
    "metadata": frozenset({"core"}),
    "storage": frozenset({"core", "wire"}),
    "wire": frozenset({"core"}),
    "core": frozenset(),
}
"""Layer -> the other layers it may import (the same table as ``shared/tools/layers.py``)."""

IO_MODULES = frozenset(
    {
        "socket",
        "threading",
        "sqlite3",
        "fcntl",
        "subprocess",
        "concurrent",
        "select",
        "selectors",
        "mmap",
        "http",
        "urllib",
        "multiprocessing",
        "asyncio",
        "shutil",
        "tempfile",
        "gc",
    }
)
"""Standard-library modules that do I/O or touch process-global state; ``core/`` imports none."""

OS_IO_NAMES = frozenset(
    {
        "open",
        "stat",
        "lstat",
        "scandir",
        "listdir",
        "walk",
        "makedirs",
        "mkdir",
        "remove",
        "unlink",
        "rename",
        "replace",
        "rmdir",
        "fsync",
        "read",
        "write",
        "environ",
        "getenv",
        "putenv",
        "chdir",
        "getcwd",
    }
)
"""``os.<name>`` uses that read or change files or the process environment."""

EMBEDDED_CLIENT_MODULES = frozenset({"archivist.client.factory"})
"""The only ``client/`` modules that may import ``service/`` (to open the embedded store)."""


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    typing_only: bool = False
    """Under ``if TYPE_CHECKING:``: never executed, so it counts for the layers but not for cycles."""


def _module_names(root: Path) -> dict[str, Path]:
    names = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(
    importer: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: Iterable[str]
) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    module = _resolve(importer, is_package, node)
    submodules = [f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in known]
    named_other = len(submodules) < len(node.names)
    return submodules + ([module] if named_other or not submodules else [])


def _typing_only_imports(tree: ast.Module) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _names_type_checking(node.test):
            for statement in node.body:
                found.update(
                    id(inner)
                    for inner in ast.walk(statement)
                    if isinstance(inner, (ast.Import, ast.ImportFrom))
                )
    return found


def _names_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class Graph:
    """All imports of the package under ``root`` (every module's AST, read once)."""

    def __init__(self, root: Path = ROOT) -> None:
        self.paths = _module_names(root)
        self.trees = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in self.paths.items()}
        self.imports: list[Import] = []
        for name, tree in self.trees.items():
            is_package = self.paths[name].name == "__init__.py"
            typing_only = _typing_only_imports(tree)
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for target in _targets(name, is_package, node, self.paths):
                        self.imports.append(Import(name, target, node.lineno, id(node) in typing_only))

    def edges(self) -> set[tuple[str, str]]:
        return {(i.importer, i.imported) for i in self.imports}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == PACKAGE else None


def package_of(module: str) -> str:
    return module.rsplit(".", 1)[0]


def against_layers(graph: Graph) -> set[tuple[str, str]]:
    """(importer, imported) pairs where a layer imports one it may not."""
    found = set()
    for importer, imported in graph.edges():
        mine, theirs = layer_of(importer), layer_of(imported)
        if mine in ALLOWED and theirs in ALLOWED and mine != theirs and theirs not in ALLOWED[mine]:
            found.add((importer, imported))
    return found


def http_client_importing_service(graph: Graph) -> set[tuple[str, str]]:
    """``client/`` modules other than the embedded backend that import ``service/``."""
    return {
        (importer, imported)
        for importer, imported in graph.edges()
        if layer_of(importer) == "client"
        and layer_of(imported) == "service"
        and importer not in EMBEDDED_CLIENT_MODULES
    }


def io_in_core(graph: Graph) -> set[tuple[str, str]]:
    """(core module, what it uses): I/O modules it imports, ``os.<file call>`` and ``open()``."""
    found = set()
    for i in graph.imports:
        if layer_of(i.importer) == "core" and i.imported.split(".")[0] in IO_MODULES:
            found.add((i.importer, i.imported))
    for name, tree in graph.trees.items():
        if layer_of(name) != "core":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr in OS_IO_NAMES
            ):
                found.add((name, f"os.{node.attr}"))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
                found.add((name, "open"))
    return found


def cycles(graph: Graph) -> list[set[str]]:
    """Strongly connected groups (more than one module) among the modules of one package,
    through the imports that run (module level and inside functions; not ``TYPE_CHECKING``
    ones, which only name a type for the checker)."""
    nexts: dict[str, set[str]] = {}
    for importer, imported in {(i.importer, i.imported) for i in graph.imports if not i.typing_only}:
        if imported in graph.paths and imported != importer and package_of(imported) == package_of(importer):
            nexts.setdefault(importer, set()).add(imported)
    return [group for group in _strongly_connected(nexts) if len(group) > 1]


def _strongly_connected(nexts: Mapping[str, set[str]]) -> Iterator[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[set[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(nexts.get(node, ())):
            if nxt not in index:
                yield from visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            yield group

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(nexts):
            if node not in index:
                yield from visit(node)
    finally:
        sys.setrecursionlimit(limit)
