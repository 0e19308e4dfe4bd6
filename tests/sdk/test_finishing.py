"""A script that ends without ``run.finish()`` while logs are still queued: normally,
by an uncaught exception or by ``sys.exit``. Every queued version is committed, the
process exits, and the run reads finished or failed; a log that fails is named on
stderr. Each script runs as a real process with a timeout, so a hang fails the test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import archivist
from archivist.sdk.held_bytes import HELD_FILE_MAX_BYTES

pytestmark = [pytest.mark.usefixtures("archivist_env"), pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
EXIT_SECONDS = 60
"""Far longer than these scripts take; a child still running then hangs."""

LOGS_AND_ENDS = """
import sys
import archivist

run = archivist.init(project="p", id="RUN_ID")
for i in range(3):  # one collection: saved one after another, in call order
    art = archivist.Artifact("ds", type="dataset")
    with art.new_file("data.txt", mode="w") as f:
        f.write(f"ds {i}")
    run.log_artifact(art)
for i in range(2):  # another collection, saved beside the first
    art = archivist.Artifact("other", type="dataset")
    with art.new_file("data.txt", mode="w") as f:
        f.write(f"other {i}")
    run.log_artifact(art)
ENDING
"""

ENDINGS = {
    "normal": ("pass", 0, "finished"),
    "exception": ("raise RuntimeError('boom in the script')", 1, "failed"),
    "sys.exit": ("sys.exit(3)", 3, "failed"),
    "sys.exit(0)": ("sys.exit(0)", 0, "finished"),
}


def run_script(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new Python process on this test's store; fail if it does not exit."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    try:
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=EXIT_SECONDS,
        )
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"the script did not exit within {EXIT_SECONDS} s (stderr: {hung.stderr!r})")


def contents(collection: str) -> list[str]:
    """The data.txt of each version of ``p/<collection>``, by version number."""
    versions = sorted(
        archivist.Api().artifacts("dataset", f"p/{collection}"), key=lambda a: int(a.version[1:])
    )
    return [Path(a.download(root=f"out-{collection}-{a.version}"), "data.txt").read_text() for a in versions]


@pytest.mark.parametrize("ending", ENDINGS)
def test_every_queued_version_is_committed_when_the_script_ends(ending: str) -> None:
    statement, exit_code, state = ENDINGS[ending]
    run_id = f"end{list(ENDINGS).index(ending)}"
    child = run_script(LOGS_AND_ENDS.replace("RUN_ID", run_id).replace("ENDING", statement))
    assert child.returncode == exit_code, child.stderr
    assert contents("ds") == ["ds 0", "ds 1", "ds 2"]
    assert contents("other") == ["other 0", "other 1"]
    assert archivist.Api().run(f"p/{run_id}").state == state
    assert "warning" not in child.stderr


def test_a_log_that_fails_is_named_and_the_others_are_committed(tmp_path: Path) -> None:
    big = tmp_path / "weights.bin"
    child = run_script(
        f"""
        import archivist
        from pathlib import Path

        big = Path({str(big)!r})
        run = archivist.init(project="p", id="failing")
        for i in range(3):
            art = archivist.Artifact("ds", type="dataset")
            with art.new_file("data.txt", mode="w") as f:
                f.write(f"ds {{i}}")
            if i == 1:  # changed after it was added: this log fails when it uploads
                big.write_bytes(b"A" * {HELD_FILE_MAX_BYTES + 1})
                art.add_file(str(big), policy="immutable")
                big.write_bytes(b"B" * {HELD_FILE_MAX_BYTES + 1})
            run.log_artifact(art)
        raise RuntimeError("boom in the script")
        """
    )
    assert child.returncode == 1, child.stderr
    assert "RuntimeError: boom in the script" in child.stderr
    warnings = [line for line in child.stderr.splitlines() if line.startswith("archivist: warning:")]
    assert len(warnings) == 2, child.stderr
    assert warnings[0].startswith("archivist: warning: artifact 'ds' was not logged: ")
    assert "weights.bin" in warnings[0]
    assert warnings[1].startswith("archivist: warning: run ") and "is marked failed" in warnings[1]
    assert contents("ds") == ["ds 0", "ds 2"]
    assert archivist.Api().run("p/failing").state == "failed"
