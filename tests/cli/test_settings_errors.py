"""A wrong setting in the environment is named in the one error line, as a usage mistake (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _archivist(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")}
    python_path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    settings = {"ARCHIVIST_DIR": str(tmp_path / "home"), "ARCHIVIST_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "archivist", *args],
        env={**base, **settings, "PYTHONPATH": python_path, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("archivist: error: "), done.stderr
    return lines[0]


@pytest.mark.parametrize("value", ["a-file", "a-file/below"])
def test_an_archivist_dir_that_cannot_be_a_folder_is_named(tmp_path: Path, value: str) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.txt").write_text("x")
    (tmp_path / "a-file").write_text("not a folder")
    line = _one_error_line(
        _archivist(tmp_path, "artifact", "put", "data", "-n", "p/data", ARCHIVIST_DIR=str(tmp_path / value))
    )
    assert f"ARCHIVIST_DIR '{tmp_path / value}'" in line and "not a folder" in line
    assert (tmp_path / "a-file").read_text() == "not a folder"


@pytest.mark.parametrize("name", ["ARCHIVIST_CACHE_LIMIT", "ARCHIVIST_SPACE_RESERVE"])
def test_a_size_setting_that_is_wrong_is_named(tmp_path: Path, name: str) -> None:
    line = _one_error_line(_archivist(tmp_path, "artifact", "ls", "p", **{name: "5 gigs"}))
    assert f"{name}: invalid size '5 gigs'" in line
