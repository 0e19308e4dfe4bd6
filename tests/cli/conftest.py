"""Fixtures for the CLI tests: an isolated embedded store per test (the shared
``archivist_env``), click's in-process runner, and real ``archivist`` processes: forked
from one that imported the CLI (``run_script``) or fresh interpreters (``spawn_script``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archivist.cli.main import cli
from tests.conftest import write_tree
from tests.fixtures.cli_processes import run_forked

REPO_ROOT = Path(__file__).resolve().parents[2]

Invoke = Callable[..., Result]
RunScript = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(archivist_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The shared ``archivist_env`` store, without settings that change CLI output; cwd is
    tmp_path/work. Returns the ARCHIVIST_* variables a subprocess needs."""
    for name in ("ARCHIVIST_CACHE_LIMIT", "ARCHIVIST_DEBUG", "ARCHIVIST_SILENT"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return {name: value for name, value in os.environ.items() if name.startswith("ARCHIVIST_")}


@pytest.fixture
def invoke(cli_env: dict[str, str]) -> Invoke:
    """Run the command in-process with click's runner (stderr captured separately)."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, list(args))

    return run


@pytest.fixture
def script_env(cli_env: dict[str, str]) -> dict[str, str]:
    """The environment of a ``python -m archivist`` process: the test's store, this checkout."""
    python_path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, **cli_env, "PYTHONPATH": python_path}


@pytest.fixture
def run_script(script_env: dict[str, str]) -> RunScript:
    """Run ``python -m archivist ARGS`` as a real process in the test's store, forked from a
    process that imported the CLI once (``tests/fixtures/cli_processes.py``)."""

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run_forked(args, script_env, os.getcwd(), timeout)

    return run


@pytest.fixture
def spawn_script(script_env: dict[str, str]) -> RunScript:
    """Run ``python -m archivist ARGS`` in a fresh interpreter (what the console script does)."""

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "archivist", *args],
            env=script_env,
            cwd=os.getcwd(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return run


@dataclass(frozen=True)
class SampleTree:
    path: Path
    files: dict[str, bytes]
    """relative POSIX path -> content"""


@pytest.fixture
def sample_tree(tmp_path: Path) -> SampleTree:
    """A small directory with nested, binary and empty files."""
    files = {
        "README.md": b"# sample data\n",
        "train/part-0.csv": b"x,y\n" + b"".join(f"{i},{i * i}\n".encode() for i in range(200)),
        "train/part-1.bin": bytes(range(256)) * 40,
        "test/empty.txt": b"",
        "test/nested/deep/values.json": b'{"a": [1, 2, 3]}\n',
    }
    return SampleTree(write_tree(tmp_path / "sample", files), files)


CACHED_BLOB_SIZE = 10 * 1024


@pytest.fixture
def filled_cache(cli_env: dict[str, str], tmp_path: Path) -> int:
    """Put three 10 KiB blobs into the client cache; returns the bytes cached.

    (Downloads from the embedded store copy straight from its blob folder, so
    the cache is filled the way a remote download fills it.)
    """
    from archivist.core.manifest import hash_bytes
    from archivist.storage.client_cache import ClientCache

    cache = ClientCache(cli_env["ARCHIVIST_CACHE_DIR"], None)
    for index in range(3):
        content = bytes([index]) * CACHED_BLOB_SIZE
        source = tmp_path / f"blob-{index}"
        source.write_bytes(content)
        assert cache.add_file(hash_bytes(content), str(source)) is not None
    return 3 * CACHED_BLOB_SIZE
