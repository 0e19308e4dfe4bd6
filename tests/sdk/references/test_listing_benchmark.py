"""The listing benchmark still runs (small sizes): its synthetic S3 server pages and the
entries-only baseline agree on the number of objects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_reference_listing_benchmark_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "benchmarks/reference_listing.py", "--objects", "2500", "--store", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("baseline: build the entries only")
    assert lines[1].startswith("add_reference via synthetic ListObjectsV2 server")
    assert "2,500 objects" in lines[1]
