"""The import graph keeps the layers of DESIGN.md: imports point downward only, no cycle
inside a package, no I/O in ``core/``, the HTTP side of ``client/`` never imports ``service/``.

The KNOWN_* lists hold the exceptions, each with its reason. A listed exception that is
gone fails the test until its line is deleted, and a new violation fails it at once, so the
lists only shrink.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.import_graph import (
    Graph,
    against_layers,
    cycles,
    http_client_importing_service,
    io_in_core,
)

KNOWN_AGAINST_LAYERS: set[tuple[str, str]] = set()
"""(importer, imported) pairs against the layer order."""

KNOWN_IN_CYCLES: set[str] = set()
"""Modules that are part of an import cycle inside their package."""

KNOWN_IO_IN_CORE = {
    ("archivist.core.settings", "os.environ"),  # Settings.from_env: read once at the edge, passed down
}
"""(core module, I/O it uses)."""

KNOWN_HTTP_CLIENT_IMPORTING_SERVICE: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph()


def _compare(found: set[Any], known: set[Any], what: str) -> None:
    new = sorted(found - known)
    gone = sorted(known - found)
    assert not new, f"{what}:\n" + "\n".join(map(str, new))
    assert not gone, f"fixed, delete these lines from the KNOWN list of {what}:\n" + "\n".join(map(str, gone))


def test_imports_point_down_the_layers(graph: Graph) -> None:
    _compare(against_layers(graph), KNOWN_AGAINST_LAYERS, "imports against the layer order")


def test_no_import_cycle_inside_a_package(graph: Graph) -> None:
    in_cycles = {module for group in cycles(graph) for module in group}
    _compare(in_cycles, KNOWN_IN_CYCLES, "modules in an import cycle")


def test_core_does_no_io(graph: Graph) -> None:
    _compare(io_in_core(graph), KNOWN_IO_IN_CORE, "I/O in core/")


def test_only_the_embedded_client_imports_the_service(graph: Graph) -> None:
    _compare(
        http_client_importing_service(graph),
        KNOWN_HTTP_CLIENT_IMPORTING_SERVICE,
        "client/ modules other than the embedded backend importing service/",
    )


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_the_checks_see_every_kind_of_import(tmp_path: Path) -> None:
    """The checks find violations hidden in functions, under TYPE_CHECKING (for the layers) and
    in relative imports, so an empty answer above means something."""
    _write(
        tmp_path,
        {
            "archivist/__init__.py": "",
            "archivist/core/__init__.py": "",
            "archivist/core/pure.py": """
                import os
                def where():
                    import socket
                    return os.environ.get("HOME"), open("x")
            """,
            "archivist/core/typed.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from archivist.sdk.run import Run
            """,
            "archivist/sdk/__init__.py": "",
            "archivist/sdk/run.py": "from . import saver\n",
            "archivist/sdk/saver.py": "def later():\n    from .run import Run\n",
            "archivist/sdk/api.py": "from . import public\n",
            "archivist/sdk/public.py": """
                from typing import TYPE_CHECKING
                if TYPE_CHECKING:
                    from .api import Api
            """,
            "archivist/metadata/__init__.py": "",
            "archivist/metadata/engine.py": "from ..storage import local\n",
            "archivist/storage/__init__.py": "",
            "archivist/storage/local.py": "",
            "archivist/client/__init__.py": "",
            "archivist/client/http.py": "from archivist.service.blobs import x\n",
            "archivist/client/factory.py": "from archivist.service import blobs\n",
            "archivist/service/__init__.py": "",
            "archivist/service/blobs.py": "x = 1\n",
        },
    )
    graph = Graph(tmp_path)
    assert against_layers(graph) == {
        ("archivist.core.typed", "archivist.sdk.run"),
        ("archivist.metadata.engine", "archivist.storage.local"),
    }
    # a back-reference only for the type checker is no cycle: it never runs
    assert cycles(graph) == [{"archivist.sdk.run", "archivist.sdk.saver"}]
    assert io_in_core(graph) == {
        ("archivist.core.pure", "socket"),
        ("archivist.core.pure", "os.environ"),
        ("archivist.core.pure", "open"),
    }
    assert http_client_importing_service(graph) == {("archivist.client.http", "archivist.service.blobs")}
