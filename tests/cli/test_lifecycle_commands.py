"""``archivist artifact rm|restore|deleted|ttl|retention|default-ttl|sweep`` and ``project rm``
in real processes, on the embedded store and against a server (``archivist_env``)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import archivist


def _log(name: str, count: int, aliases: tuple[str, ...] = ()) -> None:
    with archivist.init(project="proj", job_type="prep") as run:
        for i in range(count):
            artifact = archivist.Artifact(name, type="dataset")
            with artifact.new_file("data.txt") as handle:
                handle.write(f"{name} {i}")
            run.log_artifact(artifact, aliases=list(aliases) if i == 0 else []).wait()


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _indexes(run_script, name: str) -> list[str]:
    listed = json.loads(_ok(run_script("artifact", "versions", f"proj/{name}", "--json")))
    return sorted(v["version"] for v in listed)


def test_rm_then_restore_a_version(run_script, cli_env, default_entity):
    _log("data", 2)
    refused = run_script("artifact", "rm", "proj/data:v1")
    assert refused.returncode != 0 and "delete_aliases" in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
    assert f"Deleted {default_entity}/proj/data:v1." in _ok(
        run_script("artifact", "rm", "proj/data:v1", "--delete-aliases")
    )
    assert _indexes(run_script, "data") == ["v0"]
    listed = json.loads(_ok(run_script("artifact", "deleted", "proj/data", "--json")))
    assert [d["version"] for d in listed] == ["v1"] and listed[0]["deleted_at"]
    assert "Restored" in _ok(run_script("artifact", "restore", "proj/data:v1"))
    assert _indexes(run_script, "data") == ["v0", "v1"]
    again = run_script("artifact", "restore", "proj/data:v1")
    assert again.returncode == 1 and "no deleted artifact" in again.stderr
    usage = run_script("artifact", "restore", "proj/data")
    assert usage.returncode == 2 and "vN" in usage.stderr


def test_bulk_rm_counts_and_asks_first(run_script, script_env, cli_env):
    _log("data", 5, aliases=("best",))
    asked = run_script("artifact", "rm", "proj/data", "--keep-last", "2")  # stdin closed: no
    assert asked.returncode == 1 and "Delete 3 versions of" in asked.stderr and "(v0..v2)" in asked.stderr
    assert _indexes(run_script, "data") == ["v0", "v1", "v2", "v3", "v4"]
    answered = subprocess.run(
        [sys.executable, "-m", "archivist", "artifact", "rm", "proj/data", "--keep-last", "2"],
        env=script_env,
        input="y\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answered.returncode == 1  # v0 holds 'best': refused without --delete-aliases
    assert "Not deleted:" in answered.stderr and "data:v0" in answered.stderr
    assert _indexes(run_script, "data") == ["v0", "v3", "v4"]
    partial = run_script("artifact", "rm", "proj/data", "--keep-last", "1", "--yes", "--json")
    assert partial.returncode == 1  # some were refused
    report = json.loads(partial.stdout)
    assert [n.rsplit(":", 1)[1] for n in report["deleted"]] == ["v3"] and len(report["refused"]) == 1
    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).date().isoformat()
    swept = json.loads(
        _ok(
            run_script(
                "artifact", "rm", "proj/data", "--older-than", future, "--delete-aliases", "--yes", "--json"
            )
        )
    )
    assert len(swept["deleted"]) == 2 and _indexes(run_script, "data") == []
    bad = run_script("artifact", "rm", "proj/data:v1", "--keep-last", "1")
    assert bad.returncode == 2


def test_rm_a_collection_and_a_project(run_script, cli_env, default_entity):
    _log("data", 2)
    _log("other", 1)
    assert "Deleted" in _ok(run_script("artifact", "rm", "proj/other", "--yes"))
    assert {
        d["collection"]
        for d in json.loads(_ok(run_script("artifact", "deleted", "--project", "proj", "--json")))
    } == {"other"}
    assert "Deleted project" in _ok(run_script("project", "rm", "proj", "--yes"))
    projects = json.loads(_ok(run_script("project", "ls", "--json")))
    assert "proj" not in [p["name"] for p in projects]
    _ok(run_script("artifact", "restore", "proj/data:v1"))
    assert "proj" in [p["name"] for p in json.loads(_ok(run_script("project", "ls", "--json")))]


def test_ttl_retention_default_ttl_and_sweep(run_script, cli_env, default_entity):
    _log("data", 4)
    shown = json.loads(_ok(run_script("artifact", "ttl", "proj/data:v0", "2d", "--json")))
    assert shown["name"].endswith("data:v0")
    assert "no TTL" in _ok(run_script("artifact", "ttl", "proj/data:v1", "none"))
    bad_ttl = run_script("artifact", "ttl", "proj/data:v1", "soon")
    assert bad_ttl.returncode == 2 and "invalid duration 'soon'" in bad_ttl.stderr
    assert "keep the last 3" in _ok(run_script("artifact", "retention", "proj/data", "--keep-last", "3"))
    rule = json.loads(_ok(run_script("artifact", "retention", "proj/data", "--json")))
    assert rule["retention"] == {"keep_last": 3, "max_age_seconds": None}
    assert "default TTL 864000 s" in _ok(run_script("artifact", "default-ttl", default_entity, "10d"))
    assert "TTLs set by admins and members" in _ok(run_script("artifact", "default-ttl"))
    shown = _ok(run_script("artifact", "default-ttl", default_entity, "--editors", "admins"))
    assert "default TTL 864000 s; TTLs set by admins only." in shown
    bad_editors = run_script("artifact", "default-ttl", "--editors", "owners")
    assert bad_editors.returncode == 2 and "owners" in bad_editors.stderr
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).isoformat()
    plan = json.loads(_ok(run_script("artifact", "sweep", "--dry-run", "--as-of", later, "--json")))
    assert plan["dry_run"] and sorted(
        (d["name"].rsplit("/", 1)[1], d["reason"]) for d in plan["deleted"]
    ) == [("data:v0", "expired")]
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=11)).isoformat()
    done = _ok(run_script("artifact", "sweep", "--as-of", later))
    assert "Deleted 3 versions." in done  # v0 own TTL, v2 and v3 the team default; v1 none
    assert _indexes(run_script, "data") == ["v1"]
    assert "keep the last" not in _ok(run_script("artifact", "retention", "proj/data", "--clear"))
