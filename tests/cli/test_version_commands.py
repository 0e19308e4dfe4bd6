"""``archivist artifact versions|show|diff|alias|tag|ls`` and ``project ls`` in real processes,
on the embedded store and against a server (``archivist_env``), read by people and as JSON."""

from __future__ import annotations

import json
import re

import pytest

import archivist

TIME_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+$")


def _log(files: dict[str, str], metadata: dict, job_type: str = "prep", aliases: tuple[str, ...] = ()) -> str:
    with archivist.init(project="proj", job_type=job_type) as run:
        artifact = archivist.Artifact("data", type="dataset", metadata=metadata, description="the *data*")
        for path, text in files.items():
            with artifact.new_file(path) as handle:
                handle.write(text)
        run.log_artifact(artifact, aliases=list(aliases)).wait()
        return run.path


@pytest.fixture
def two_versions(cli_env) -> tuple[str, str]:
    """proj/data v0 (aliased 'best') and v1; returns the paths of the runs that logged them."""
    first = _log({"a.txt": "a", "b.txt": "b"}, {"rows": 1}, aliases=("best",))
    second = _log({"b.txt": "bbb", "c.txt": "c"}, {"rows": 2, "split": "train"})
    return first, second


def _json(result) -> object:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_versions_lists_every_version_newest_first(run_script, two_versions, default_entity):
    first_run, second_run = two_versions
    listed = _json(run_script("artifact", "versions", "proj/data", "--json"))
    assert [(v["version"], v["aliases"], v["file_count"], v["producer"]) for v in listed] == [
        ("v1", ["latest"], 2, second_run),
        ("v0", ["best"], 2, first_run),
    ]
    assert listed[0]["name"] == f"{default_entity}/proj/data:v1" and listed[0]["size"] == 4

    text = run_script("artifact", "versions", "proj/data")
    assert text.returncode == 0, text.stderr
    header, newest, oldest = text.stdout.splitlines()
    assert header.split() == ["VERSION", "CREATED", "SIZE", "FILES", "ALIASES", "TAGS", "PRODUCER"]
    assert newest.split()[0] == "v1" and newest.split()[-3:] == ["latest", "-", second_run]
    assert oldest.split()[-3:] == ["best", "-", first_run]
    assert TIME_WITH_ZONE.match(" ".join(newest.split()[1:4]))

    with_version = run_script("artifact", "versions", "proj/data:v0")
    assert with_version.returncode == 2
    assert "names a version" in with_version.stderr and "Traceback" not in with_version.stderr
    missing = run_script("artifact", "versions", "proj/nothing")
    assert missing.returncode == 1 and missing.stderr.startswith("archivist: error: ")
    assert "nothing" in missing.stderr and len(missing.stderr.splitlines()) == 1


def test_show_gives_metadata_aliases_files_and_lineage(run_script, two_versions, default_entity):
    first_run, _ = two_versions
    with archivist.init(project="proj", job_type="train") as consumer:
        consumer.use_artifact("data:best")

    shown = _json(run_script("artifact", "show", "proj/data:best", "--json"))
    assert shown["name"] == f"{default_entity}/proj/data:v0"
    assert shown["metadata"] == {"rows": 1} and shown["description"] == "the *data*"
    assert shown["aliases"] == ["best"] and shown["tags"] == []
    assert (shown["file_count"], shown["size"]) == (2, 2)
    assert shown["logged_by"]["path"] == first_run and shown["logged_by"]["job_type"] == "prep"
    assert [run["path"] for run in shown["used_by"]] == [consumer.path]

    text = run_script("artifact", "show", "proj/data")  # latest by default
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == f"{default_entity}/proj/data:v1 (dataset)"
    assert "  aliases:   latest" in lines and "  files:     2 files, 4B" in lines
    assert '      "split": "train"' in lines and "    the *data*" in lines
    assert "  used by:   -" in lines

    unknown = run_script("artifact", "show", "proj/data:nope")
    assert unknown.returncode == 1 and "nope" in unknown.stderr and "Traceback" not in unknown.stderr


def test_alias_and_tag_add_and_remove(run_script, two_versions, default_entity):
    moved = run_script("artifact", "alias", "add", "proj/data:v1", "best")
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.strip() == f"Alias 'best' now names {default_entity}/proj/data:v1 (moved from v0)."
    assert archivist.Api().artifact("proj/data:best").version == "v1"
    assert archivist.Api().artifact("proj/data:v0").aliases == []

    added = _json(run_script("artifact", "alias", "add", "proj/data:v0", "gold", "--json"))
    assert added["version"] == "v0" and added["aliases"] == ["gold"]
    removed = _json(run_script("artifact", "alias", "rm", "proj/data:gold", "gold", "--json"))
    assert removed["aliases"] == []

    absent = run_script("artifact", "alias", "rm", "proj/data:v1", "gold")
    assert absent.returncode == 1
    assert "has no alias 'gold'; its aliases: best, latest" in absent.stderr
    for verb in ("add", "rm"):
        latest = run_script("artifact", "alias", verb, "proj/data:v0", "latest")
        assert latest.returncode == 2 and "'latest' always names the newest version" in latest.stderr
    no_version = run_script("artifact", "alias", "add", "proj/data", "x")
    assert no_version.returncode == 2 and "names no version" in no_version.stderr
    bad = run_script("artifact", "alias", "add", "proj/data:v0", "v7")
    assert bad.returncode != 0 and "'v7'" in bad.stderr and "Traceback" not in bad.stderr

    tagged = run_script("artifact", "tag", "add", "proj/data:v1", "reviewed", "big one")
    assert tagged.returncode == 0, tagged.stderr
    assert tagged.stdout.strip() == f"Tagged {default_entity}/proj/data:v1: big one, reviewed."
    untagged = _json(run_script("artifact", "tag", "rm", "proj/data:v1", "reviewed", "--json"))
    assert untagged["tags"] == ["big one"]
    assert archivist.Api().artifact("proj/data:v1").tags == ["big one"]
    not_there = run_script("artifact", "tag", "rm", "proj/data:v1", "reviewed")
    assert not_there.returncode == 1 and "has no tag 'reviewed'; its tags: big one" in not_there.stderr
    bad_tag = run_script("artifact", "tag", "add", "proj/data:v1", "no/slash")
    assert bad_tag.returncode != 0 and "'no/slash'" in bad_tag.stderr


def test_diff_lists_files_and_metadata_that_changed(run_script, two_versions, default_entity):
    changes = _json(run_script("artifact", "diff", "proj/data:v0", "v1", "--json"))
    assert changes["old"] == f"{default_entity}/proj/data:v0" and changes["new"].endswith("data:v1")
    assert changes["files"] == [
        {"path": "a.txt", "status": "removed", "old_size": 1, "new_size": None},
        {"path": "b.txt", "status": "changed", "old_size": 1, "new_size": 3},
        {"path": "c.txt", "status": "added", "old_size": None, "new_size": 1},
    ]
    assert (changes["added"], changes["removed"], changes["changed"], changes["unchanged"]) == (1, 1, 1, 0)
    assert changes["size_delta"] == 2
    assert changes["metadata"] == [
        {"key": "rows", "status": "changed", "old": 1, "new": 2},
        {"key": "split", "status": "added", "new": "train"},
    ]

    text = run_script("artifact", "diff", "proj/data:best", "proj/data:latest")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"{default_entity}/proj/data:v0 -> {default_entity}/proj/data:v1: 1 added, 1 removed, "
        "1 changed, 0 unchanged (3 changes, +2B)",
        "- a.txt (1B)",
        "~ b.txt (1B -> 3B)",
        "+ c.txt (1B)",
        "metadata:",
        "~ rows: 1 -> 2",
        '+ split: "train"',
    ]
    same = _json(run_script("artifact", "diff", "proj/data:v1", ":latest", "--json"))
    assert same["files"] == [] and same["unchanged"] == 2 and same["metadata"] == []


def test_ls_and_project_ls(run_script, two_versions, default_entity):
    with archivist.init(project="runs-only"):
        pass
    rows = _json(run_script("artifact", "ls", "proj", "--json"))
    assert [(row["type"], row["name"], row["aliases"], row["size_bytes"]) for row in rows] == [
        ("dataset", "data:v1", ["latest"], 4)
    ]
    text = run_script("artifact", "ls", "proj")
    assert text.returncode == 0, text.stderr
    row = text.stdout.splitlines()[1].split()
    assert TIME_WITH_ZONE.match(" ".join(row[1:4])) and row[-2:] == ["data:v1", "latest"]

    empty = run_script("artifact", "ls", "runs-only")
    assert empty.returncode == 0
    assert empty.stdout.strip() == f"No artifacts in project {default_entity}/runs-only."
    missing = run_script("artifact", "ls", "typo", "--json")
    assert missing.returncode == 1 and missing.stdout == ""
    assert "project" in missing.stderr and "typo" in missing.stderr and "does not exist" in missing.stderr

    projects = _json(run_script("project", "ls", "--json"))
    assert [(p["name"], p["collections"]) for p in projects] == [("proj", 1), ("runs-only", 0)]
    assert {p["entity"] for p in projects} == {default_entity}
    listed = run_script("project", "ls", default_entity)
    assert listed.returncode == 0, listed.stderr
    assert [line.split() for line in listed.stdout.splitlines()] == [
        ["PROJECT", "COLLECTIONS"], ["proj", "1"], ["runs-only", "0"]
    ]  # fmt: skip
