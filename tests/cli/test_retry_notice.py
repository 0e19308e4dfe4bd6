"""A command whose server does not answer says once, on stderr, that it is retrying (and is
quiet about it with ARCHIVIST_SILENT=1); then it fails in one line. Real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import REPO_ROOT
from tests.fixtures.servers import free_port


def _ls_against_nothing(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")},
        "PYTHONPATH": str(REPO_ROOT),
        "ARCHIVIST_DIR": str(tmp_path / "home"),
        "ARCHIVIST_CACHE_DIR": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "ARCHIVIST_BASE_URL": url,
        "ARCHIVIST_API_KEY": "ak_" + "k" * 40,
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "archivist", "artifact", "ls", "proj"],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_retrying_notice_is_said_once_on_stderr_and_silenced_in_quiet_mode(tmp_path: Path) -> None:
    told = _ls_against_nothing(tmp_path)
    assert told.returncode == 1 and told.stdout == ""
    notice, error = told.stderr.splitlines()
    assert notice.startswith("archivist: the server at http://127.0.0.1:") and "does not answer" in notice
    assert notice.endswith("retrying for up to 8 s…")
    assert error.startswith("archivist: error: cannot reach the Archivist server at http://127.0.0.1:")

    quiet = _ls_against_nothing(tmp_path, ARCHIVIST_SILENT="1")
    assert quiet.returncode == 1
    assert [line.split(":")[1] for line in quiet.stderr.splitlines()] == [" error"]
