"""``archivist server`` refuses to start in one line, creating nothing, when its database
folder is missing or its port is taken; real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.archivist_server import REPO_ROOT, archivist_server, server_command

pytestmark = pytest.mark.slow


def _start_and_fail(command: list[str]) -> tuple[int, str, str]:
    """Run a server command that must exit by itself; its (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=60)
    return done.returncode, done.stdout, done.stderr


def _the_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archivist: error: "), stderr
    return lines[0]


def test_a_database_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "missing" / "dir"
    command = server_command(0, f"sqlite:///{folder}/meta.sqlite", tmp_path / "blobs")
    code, out, err = _start_and_fail(command)
    assert (code, out) == (2, "")  # a usage mistake: a mistyped --db
    assert f"the database folder {folder} does not exist" in _the_error_line(err)
    assert not (tmp_path / "missing").exists()

    upgrade = [sys.executable, "-m", "archivist", "db", "upgrade", "--db", f"sqlite:///{folder}/meta.sqlite"]
    code, out, err = _start_and_fail(upgrade)
    assert code == 2 and str(folder) in _the_error_line(err)
    assert not (tmp_path / "missing").exists()


def test_a_port_in_use_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = _start_and_fail(server_command(port, f"sqlite:///{tmp_path}/meta.sqlite", tmp_path))
    assert (code, out) == (1, "")  # no banner, and no admin key printed (and lost)
    line = _the_error_line(err)
    assert f"port {port} on 127.0.0.1 is in use" in line and "--port" in line
    assert not (tmp_path / "meta.sqlite").exists()  # the database was not even created


def test_a_second_server_on_the_port_of_a_running_one_is_refused(tmp_path: Path) -> None:
    with archivist_server(f"sqlite:///{tmp_path}/meta.sqlite", tmp_path / "blobs", tmp_path / "log") as first:
        port = int(first.url.rsplit(":", 1)[1])
        command = server_command(port, f"sqlite:///{tmp_path}/other.sqlite", tmp_path / "other-blobs")
        code, out, err = _start_and_fail(command)
        assert (code, out) == (1, "")
        assert f"port {port} on 127.0.0.1 is in use" in _the_error_line(err)
        assert first.process.poll() is None
