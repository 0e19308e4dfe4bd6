"""The README works as written: every ```python block, and every shell block made of
``archivist`` commands, runs in order on a fresh embedded store in a temporary folder (as
real processes, the way a reader pastes them).

A block is preceded by an HTML comment (invisible on GitHub) when it needs more:

- ``<!-- readme-test: files PATH... -->`` creates those small files first (the data the
  example versions);
- ``<!-- readme-test: server -->`` runs the block against a real ``archivist server`` started
  for this test: the README's ``http://archivist.internal:8080`` stands for it, ``ak_...`` and
  ``$ARCHIVIST_ADMIN_KEY`` for its administrator's key;
- ``<!-- readme-test: skip REASON -->`` does not run it (installs, servers that run until
  stopped, paths of a server machine, benchmarks); the reason is required.

A shell block without a marker must consist of ``archivist`` commands (and comments).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess, archivist_server

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
SERVER_PLACEHOLDER = "http://archivist.internal:8080"
KEY_PLACEHOLDER = "ak_..."

_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
_MARKER = re.compile(r"^\s*<!-- readme-test: (?P<kind>files|server|skip)\b(?P<rest>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    line: int
    """Line number of the opening fence in README.md."""
    lang: str
    code: str
    marker: str | None = None
    argument: str = ""

    @property
    def label(self) -> str:
        return f"README.md:{self.line} ({self.lang})"


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block with its language and the marker comment just before it."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = len(opening["indent"])
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not re.match(rf"^ {{{indent}}}```\s*$", lines[end]):
            body.append(lines[end][indent:])
            end += 1
        marker = _marker_before(lines, index)
        blocks.append(
            Block(
                line=index + 1,
                lang=opening["lang"],
                code="\n".join(body) + "\n",
                marker=marker[0] if marker else None,
                argument=marker[1] if marker else "",
            )
        )
        index = end + 1
    return blocks


def _marker_before(lines: list[str], index: int) -> tuple[str, str] | None:
    previous = index - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    found = _MARKER.match(lines[previous]) if previous >= 0 else None
    return (found["kind"], found["rest"].strip()) if found else None


def runnable(block: Block) -> bool:
    return block.marker != "skip" and block.lang in ("python", "bash", "sh", "shell")


BLOCKS = readme_blocks(README.read_text())


def test_the_readme_blocks_are_found_and_every_skip_says_why() -> None:
    python_blocks = [block for block in BLOCKS if block.lang == "python"]
    assert any("wandb.init" in block.code for block in python_blocks)  # the Quickstart
    for block in BLOCKS:
        if block.marker == "skip":
            assert block.argument, f"{block.label}: a skipped block must say why"
        if block.marker is None and block.lang in ("bash", "sh", "shell"):
            commands = [line for line in block.code.splitlines() if line.strip() and not line.startswith("#")]
            assert all(line.startswith("archivist ") for line in commands), (
                f"{block.label} runs more than archivist commands: mark it "
                "<!-- readme-test: skip REASON --> or <!-- readme-test: server -->"
            )


@pytest.fixture
def reader(tmp_path: Path) -> dict[str, str]:
    """A reader's shell: a fresh store and cache, ``archivist`` on the PATH, cwd tmp_path/work."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "archivist"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m archivist "$@"\n')
    launcher.chmod(0o755)
    (tmp_path / "work").mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "AWS_"))}
    python_path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return {
        **base,
        "PATH": f"{bin_dir}{os.pathsep}{base.get('PATH', '')}",
        "PYTHONPATH": python_path,
        "ARCHIVIST_DIR": str(tmp_path / "store"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "ARCHIVIST_ARTIFACT_DIR": str(tmp_path / "work" / "artifacts"),
    }


@pytest.fixture
def readme_server(tmp_path: Path) -> Iterator[ServerProcess]:
    root = tmp_path / "server"
    root.mkdir()
    with archivist_server(f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log") as server:
        yield server


def _create_files(work: Path, paths: str) -> None:
    for number, relative in enumerate(paths.split()):
        target = work / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"x,y\n{number},{number * number}\n")


def _run(block: Block, env: dict[str, str], work: Path) -> subprocess.CompletedProcess[str]:
    if block.lang == "python":
        command = [sys.executable, "-c", block.code]
    else:
        command = ["bash", "-e", "-o", "pipefail", "-c", block.code]
    return subprocess.run(command, env=env, cwd=work, capture_output=True, text=True, timeout=300)


def test_every_readme_block_runs_in_order_on_a_fresh_store(reader: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    ran = []
    for block in BLOCKS:
        if not runnable(block) or block.marker == "server":
            continue
        if block.marker == "files":
            _create_files(work, block.argument)
        done = _run(block, reader, work)
        assert done.returncode == 0, f"{block.label} failed:\n{block.code}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, f"{block.label}:\n{done.stderr}"
        ran.append(block)
    assert any(block.lang == "python" for block in ran) and any(block.lang == "bash" for block in ran)
    assert (tmp_path / "store" / "meta.sqlite").exists()  # they used the fresh store, not ~/.archivist


def test_the_readme_server_blocks_run_against_a_server(
    reader: dict[str, str], readme_server: ServerProcess, tmp_path: Path
) -> None:
    server_blocks = [block for block in BLOCKS if block.marker == "server"]
    assert server_blocks
    env = {**reader, "ARCHIVIST_ADMIN_KEY": ADMIN_KEY}
    for block in server_blocks:
        code = block.code.replace(SERVER_PLACEHOLDER, readme_server.url).replace(KEY_PLACEHOLDER, ADMIN_KEY)
        done = _run(Block(block.line, block.lang, code), env, tmp_path / "work")
        assert done.returncode == 0, f"{block.label} failed:\n{code}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, f"{block.label}:\n{done.stderr}"
    saved = tmp_path / "xdg-config" / "archivist" / "credentials.json"
    assert readme_server.url in saved.read_text()  # `archivist login` was run and saved the login
