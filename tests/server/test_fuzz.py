"""Schemathesis fuzzes every operation of /openapi.json on a live server (with the
admin key, so requests reach the routes' logic): no answer may be a 5xx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess

pytestmark = pytest.mark.slow


def test_fuzzing_the_schema_finds_no_server_error(server: ServerProcess, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json",
        "--header", f"Authorization: Bearer {ADMIN_KEY}",
        "--checks", "not_a_server_error",
        "--max-examples", "8", "--seed", "1", "--workers", "2",
        "--generation-database", "none", "--no-color", "--request-timeout", "20",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary + result.stderr[-2000:]
    assert (
        "generated" in summary and " passed" in summary and "failed" not in summary.split("Test cases:")[-1]
    )
    assert not [line for line in server.answered_request_log() if line["status"] >= 500]
