"""Notices on stderr: a dedup hit is said once, and ``ARCHIVIST_SILENT=1`` silences notices
(real processes, so the settings come from the environment as in a user's script)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_tree

REPO_ROOT = Path(__file__).resolve().parents[2]

LOG_TWICE = """
import archivist
for _ in range(2):
    with archivist.init(project="notices") as run:
        artifact = archivist.Artifact("data", type="dataset")
        artifact.add_dir("data")
        run.log_artifact(artifact).wait()
print("logged", artifact.version)
"""


def _log_twice(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    write_tree(tmp_path / "data", {"a.txt": "a", "b/c.txt": "c"})
    python_path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-c", LOG_TWICE],
        env={**os.environ, "PYTHONPATH": python_path, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.usefixtures("archivist_env")
def test_a_dedup_hit_is_said_once_on_stderr(tmp_path: Path) -> None:
    done = _log_twice(tmp_path, ARCHIVIST_SILENT="")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "logged v0\n"  # nothing but the script's own output
    notices = [line for line in done.stderr.splitlines() if "identical to v0" in line]
    assert notices == ["archivist: artifact 'data' is identical to v0; no new version was created"]


@pytest.mark.usefixtures("archivist_env")
@pytest.mark.parametrize("value", ["1", "true"])
def test_archivist_silent_hides_notices(tmp_path: Path, value: str) -> None:
    done = _log_twice(tmp_path, ARCHIVIST_SILENT=value)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "logged v0\n"
    assert done.stderr == ""
