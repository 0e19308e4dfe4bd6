"""The test command says what the machine lacks, once, before running anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    python_path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        env={**os.environ, "PYTHONPATH": python_path, **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_missing_postgresql_stops_the_session_with_one_message() -> None:
    unreachable = "postgresql://postgres@127.0.0.1:1/postgres"  # nothing listens on port 1
    done = _pytest("tests/metadata/test_migrations.py", ARCHIVIST_TEST_POSTGRES=unreachable)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error: nothing ran
    output = done.stdout + done.stderr
    assert "The tests cannot run on this machine yet" in output
    assert "PostgreSQL, needed by " in output and unreachable in output
    assert "Fix: start PostgreSQL at 127.0.0.1:5432" in output
    assert "no tests ran" in output


def test_tests_that_need_nothing_missing_still_run() -> None:
    unreachable = "postgresql://postgres@127.0.0.1:1/postgres"
    done = _pytest("tests/core/test_settings.py", ARCHIVIST_TEST_POSTGRES=unreachable)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout
