"""``archivist artifact verify PATH``: reference drift, with metadata requests only."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_tree
from tests.fixtures.http_files import http_server


def test_every_reference_matches(invoke, tmp_path: Path) -> None:
    shared = write_tree(tmp_path / "shared", {"a.csv": "1,2", "sub/b.csv": "3,4"})
    assert invoke("artifact", "put", f"file://{shared}", "-n", "proj/shared").exit_code == 0
    result = invoke("artifact", "verify", "proj/shared")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith("proj/shared:v0: all 2 references match their source")


def test_changed_and_missing_references_are_listed_and_exit_1(invoke, tmp_path: Path) -> None:
    shared = write_tree(tmp_path / "shared", {"a.csv": "1,2", "b.csv": "3,4", "c.csv": "5,6"})
    assert invoke("artifact", "put", f"file://{shared}", "-n", "proj/shared").exit_code == 0
    (shared / "a.csv").write_text("changed")
    (shared / "c.csv").unlink()
    result = invoke("artifact", "verify", "proj/shared:v0")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        f"a.csv (file://{shared}/a.csv): {shared}/a.csv changed since it was logged",
        f"c.csv (file://{shared}/c.csv): {shared}/c.csv does not exist any more",
    ]
    assert "proj/shared:v0: 2 of 3 references no longer match their source" in result.stderr


def test_http_references_are_checked_with_head_requests_only(invoke, tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {"data.csv": "x,y\n1,2\n"})
    requests: list[str] = []
    with http_server(site, log=requests) as base:
        assert invoke("artifact", "put", f"{base}/data.csv", "-n", "proj/web").exit_code == 0
        requests.clear()
        assert invoke("artifact", "verify", "proj/web").exit_code == 0
        assert requests == ["HEAD /data.csv"]
        (site / "data.csv").write_text("x,y\n9,9\n")
        result = invoke("artifact", "verify", "proj/web")
    assert result.exit_code == 1
    assert result.stdout.startswith(
        f"data.csv ({base}/data.csv): {base}/data.csv changed since it was logged"
    )


def test_versions_without_references_and_unknown_versions(invoke, sample_tree) -> None:
    assert invoke("artifact", "put", str(sample_tree.path), "-n", "proj/files").exit_code == 0
    result = invoke("artifact", "verify", "proj/files")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith("proj/files:v0 has no references")
    missing = invoke("artifact", "verify", "proj/nothing:v3")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("archivist: error: ") and "nothing" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_exit_status_of_a_real_process(run_script, tmp_path: Path) -> None:
    shared = write_tree(tmp_path / "shared", {"a.csv": "1,2"})
    assert run_script("artifact", "put", f"file://{shared}", "-n", "proj/shared").returncode == 0
    assert run_script("artifact", "verify", "proj/shared").returncode == 0
    (shared / "a.csv").unlink()
    result = run_script("artifact", "verify", "proj/shared")
    assert result.returncode == 1
    assert result.stdout.startswith("a.csv (file://")
