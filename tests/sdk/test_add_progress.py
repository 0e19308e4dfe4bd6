"""``add_dir`` of a big folder shows a progress bar while it hashes and keeps the files,
on a terminal only, and not when silenced (a real process on a pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

ADD_DIR = """
import sys
import archivist
from archivist.sdk import termlog

folder, mode = sys.argv[1], sys.argv[2]
if mode == "silent":
    termlog.set_silent(True)
art = archivist.Artifact("big", type="dataset")
art.add_dir(folder)
print("ADDED", len(art.manifest.entries), flush=True)
"""

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("progress") / "data"
    folder.mkdir()
    for i in range(3):
        (folder / f"part-{i}.bin").write_bytes(os.urandom(16 << 20))
    for i in range(300):
        (folder / f"small-{i:03d}.txt").write_bytes(os.urandom(2048))
    return folder


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ARCHIVIST_DIR=str(tmp_path / "home"),
        ARCHIVIST_CACHE_DIR=str(tmp_path / "cache"),
        TERM="xterm-256color",
        COLUMNS="120",
        PYTHONPATH=str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    for name in ("ARCHIVIST_BASE_URL", "ARCHIVIST_API_KEY", "ARCHIVIST_SILENT"):
        env.pop(name, None)
    return env


def _on_terminal(folder: Path, mode: str, tmp_path: Path) -> str:
    """Everything the child writes to its terminal (stdout and stderr)."""
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-c", ADD_DIR, str(folder), mode],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=_env(tmp_path),
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert child.wait(timeout=60) == 0, output.decode(errors="replace")
    return output.decode(errors="replace")


def test_add_dir_of_a_big_folder_shows_a_bar_on_a_terminal(big_folder: Path, tmp_path: Path) -> None:
    output = _on_terminal(big_folder, "loud", tmp_path)
    assert "ADDED 303" in output
    assert "Adding data" in output
    assert "MB" in output or "MiB" in output  # the bar counts bytes


def test_add_dir_shows_no_bar_when_silenced(big_folder: Path, tmp_path: Path) -> None:
    output = _on_terminal(big_folder, "silent", tmp_path)
    assert "ADDED 303" in output
    assert "Adding" not in output


def test_add_dir_shows_no_bar_off_a_terminal(big_folder: Path, tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", ADD_DIR, str(big_folder), "loud"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout == "ADDED 303\n"
    assert "Adding" not in child.stderr and "\x1b" not in child.stderr
