"""The benchmark's smoke test: ``benchmarks/run.py --quick`` runs every operation on tiny
data and prints a line for each, with its ratio to a baseline or why it has none.
Nothing here looks at the times."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OPERATION_TITLES = {
    "log_w2": "log W2",
    "relog_w2": "re-log W2 unchanged",
    "download_w2": "download W2 (latest)",
    "download_w2_link": "download W2, link mode",
    "download_w2_link_again": "download W2, link mode, again",
    "log_w2_linkable": "log W2, linkable store",
    "download_w2_link_linkable": "download W2, link, linkable store",
    "log_w4": "log W4 (1% changed, 1% added)",
    "log_w1": "log W1",
    "download_w1": "download W1",
    "log_w5": "log W5",
    "download_w5": "download W5",
    "log_m1": "log M1",
    "read_m1": "read M1's whole manifest",
    "list_m1": "list M1 by path_prefix",
    "log_m1_next": "log M1 next version (1% changed)",
    "diff_m1": "diff two M1 versions",
}
WITHOUT_BASELINE = {"list_m1", "diff_m1"}


def test_quick_run_prints_a_ratio_line_for_every_operation(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--data", str(tmp_path / "data"),
         "--json", str(results)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    operations = {op["name"]: op for op in json.loads(results.read_text())["operations"]}
    assert set(operations) == set(OPERATION_TITLES)
    for name, title in OPERATION_TITLES.items():
        line = next((ln for ln in lines if ln.startswith(title + " ")), None)
        assert line is not None, f"no line for {title!r} in:\n{done.stdout}"
        op = operations[name]
        if op["stat"] is None:  # only an API that does not exist yet may lack a number
            assert "not available" in line, line
            assert op["note"].startswith("not available"), op
        else:
            assert op["stat"]["seconds"] > 0
            if name not in WITHOUT_BASELINE:
                assert "ratio" in line and op["ratio"] is not None, line
    assert not (tmp_path / "data" / "quick" / "runs").exists() or not any(
        (tmp_path / "data" / "quick" / "runs").iterdir()
    ), "the run's stores and copies were not removed"


def test_data_inside_the_repository_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--data", str(REPO / "bench-data")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "inside the repository" in done.stderr
    assert not (REPO / "bench-data").exists()
