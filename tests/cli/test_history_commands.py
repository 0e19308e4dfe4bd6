"""``archivist artifact history`` and ``--as-of`` on ``show`` and ``get``, in real
``python -m archivist`` processes, on the embedded store and on a server."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import archivist
from tests.cli.conftest import RunScript


def _promote_twice(collection: str) -> str:
    """Link two models, v0 then v1 taking ``production``; the moment between the two."""
    target = f"wandb-registry-model/{collection}"
    with archivist.init(project="train") as run:
        for text in ("first weights", "second weights"):
            art = archivist.Artifact("clf", type="model")
            with art.new_file("weights.txt", mode="w") as f:
                f.write(text)
            run.log_artifact(art).wait()
            run.link_artifact(art, target, aliases=["production"])
            if text.startswith("first"):
                between = dt.datetime.now(dt.timezone.utc).isoformat()
    return between


def test_history_lists_the_moves_and_as_of_travels_back(run_script: RunScript, tmp_path: Path) -> None:
    collection = f"clf-{uuid.uuid4().hex[:8]}"
    between = _promote_twice(collection)
    path = f"wandb-registry-model/{collection}"
    listed = run_script("artifact", "history", path, "--alias", "production")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]  # id, date, time, event, ...
    assert [row[3:7] for row in rows] == [
        ["ADD_ARTIFACT_ALIAS", "production", "v1", "v0"],
        ["ADD_ARTIFACT_ALIAS", "production", "v0", rows[1][6]],  # no BEFORE: the last column is BY
    ]
    assert len(rows[1]) == 7 and len(rows[0]) == 8
    as_json = json.loads(run_script("artifact", "history", path, "--json", "--limit", "3").stdout)
    assert [(e["event_type"], e["alias"], e["version"]) for e in as_json] == [
        ("ADD_ARTIFACT_ALIAS", "production", "v1"),
        ("ADD_ARTIFACT_ALIAS", "latest", "v1"),
        ("LINK_ARTIFACT", None, "v1"),
    ]
    more = run_script("artifact", "history", path, "--limit", "3")
    assert f"More: --before {as_json[-1]['id']}" in more.stdout
    shown = run_script("artifact", "show", f"{path}:production", "--as-of", between, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["version"] == "v0"
    dest = tmp_path / "then"
    got = run_script("artifact", "get", f"{path}:production", "--as-of", between, "--root", str(dest))
    assert got.returncode == 0, got.stderr
    assert (dest / "weights.txt").read_text() == "first weights"


def test_bad_times_and_moments_before_the_alias_are_named(run_script: RunScript) -> None:
    collection = f"clf-{uuid.uuid4().hex[:8]}"
    _promote_twice(collection)
    path = f"wandb-registry-model/{collection}:production"
    bad = run_script("artifact", "show", path, "--as-of", "last tuesday")
    assert bad.returncode == 2 and "as_of 'last tuesday' is not a time" in bad.stderr
    early = run_script("artifact", "get", path, "--as-of", "2001-01-01")
    assert early.returncode == 1 and "Traceback" not in early.stderr
    assert "no version held 'production'; it was first set at" in early.stderr
    versioned = run_script("artifact", "history", path)
    assert versioned.returncode == 2 and "names a version" in versioned.stderr
