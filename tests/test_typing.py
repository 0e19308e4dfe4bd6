"""mypy over the whole package finds no error (strict on ``core/``; see ``[tool.mypy]`` in
pyproject.toml). Runs in a subprocess so that CI (``.ci/run`` runs pytest) checks it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-color-output", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.stdout == "" and done.returncode == 0, done.stdout + done.stderr
