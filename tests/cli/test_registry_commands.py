"""``archivist registry ...`` and ``archivist artifact link|unlink`` in real ``python -m
archivist`` processes, on the embedded store and on the servers (``archivist_env``'s variants):
create, list with filters, show, collections, versions, link, alias moves on a registry path,
unlink and delete, with one-line errors and exit code 2 for usage mistakes."""

from __future__ import annotations

import json
import uuid

import archivist
from tests.cli.conftest import RunScript


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _log_models(name: str, count: int) -> None:
    with archivist.init(project="train") as run:
        for index in range(count):
            art = archivist.Artifact(name, type="model", metadata={"accuracy": 0.8 + index / 100})
            with art.new_file("weights.txt", mode="w") as f:
                f.write(f"weights {index}")
            run.log_artifact(art).wait()


def _ok(result: object) -> str:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    return result.stdout  # type: ignore[attr-defined,no-any-return]


def _usage_error(result: object, *parts: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    line = result.stderr.strip()  # type: ignore[attr-defined]
    assert line.startswith("archivist: error: ") and "\n" not in line and "Traceback" not in line
    for part in parts:
        assert part in line, line


def test_create_list_show_and_delete_a_registry(run_script: RunScript) -> None:
    name = _unique("Golden Sets")
    created = json.loads(
        _ok(run_script("registry", "create", name, "--type", "dataset", "-d", "curated sets", "--json"))
    )
    assert created["full_name"] == f"wandb-registry-{name}" and created["artifact_types"] == ["dataset"]
    assert created["visibility"] == "organization" and created["core"] is False
    listed = json.loads(_ok(run_script("registry", "ls", "--json")))
    assert {"model", "dataset", name} <= {r["name"] for r in listed}
    only = json.loads(_ok(run_script("registry", "ls", "--filter", json.dumps({"name": name}), "--json")))
    assert [r["name"] for r in only] == [name]
    text = _ok(run_script("registry", "ls", "--filter", json.dumps({"description": {"$regex": "^curated"}})))
    assert name in text and "dataset" in text.splitlines()[0] + text
    shown = _ok(run_script("registry", "show", f"wandb-registry-{name}"))
    assert f"{name} (wandb-registry-{name})" in shown and "accepts:    dataset" in shown
    assert "curated sets" in shown and "collections: 0" in shown
    _usage_error(run_script("registry", "delete", name), "needs confirmation: pass --yes")
    assert "Deleted registry" in _ok(run_script("registry", "delete", name, "--yes"))
    gone = run_script("registry", "show", name)
    assert gone.returncode == 1 and "not found" in gone.stderr.lower() and "Traceback" not in gone.stderr


def test_restricted_registry_accepting_all_types(run_script: RunScript) -> None:
    name = _unique("scratch")
    out = _ok(run_script("registry", "create", name, "--visibility", "restricted"))
    assert "visibility restricted" in out and "accepting all types" in out
    shown = json.loads(_ok(run_script("registry", "show", name, "--json")))
    assert shown["visibility"] == "restricted" and shown["allow_all_artifact_types"] is True
    assert shown["collections"] == []


def test_usage_mistakes_exit_2_with_one_line(run_script: RunScript) -> None:
    _usage_error(run_script("registry", "create", "bad/name"), "invalid registry name 'bad/name'")
    _usage_error(run_script("registry", "create", _unique("x"), "--visibility", "public"), "public")
    _usage_error(run_script("registry", "ls", "--filter", "{not json"), "--filter", "is not JSON")
    _usage_error(run_script("registry", "ls", "--filter", "[1]"), "must be a JSON object")
    _usage_error(run_script("registry", "ls", "--filter", '{"nme": 1}'), "cannot filter on 'nme'", "name")
    _usage_error(run_script("registry", "versions", "model", "--filter", '{"alias": {"$bad": 1}}'), "$bad")
    _usage_error(run_script("artifact", "link", "train/clf", "wandb-registry-model/x"), "names no version")
    _usage_error(
        run_script("artifact", "link", "train/clf:v0", "wandb-registry-model/x:v0"), "--alias", "x:v0"
    )
    _usage_error(
        run_script("artifact", "link", "train/clf:v0", "elsewhere/x"), "'elsewhere' is not a registry"
    )
    core = run_script("registry", "delete", "model", "--yes")
    assert core.returncode != 0 and "core registry 'model'" in core.stderr and "Traceback" not in core.stderr


def test_link_promote_roll_back_and_unlink(run_script: RunScript) -> None:
    source = _unique("clf")
    collection = f"Served {uuid.uuid4().hex[:6]}"
    target = f"wandb-registry-model/{collection}"
    _log_models(source, 3)
    linked = json.loads(
        _ok(run_script("artifact", "link", f"train/{source}:v0", target, "-a", "candidate", "--json"))
    )
    assert linked["registry_path"] == f"{target}:v0" and linked["source"].endswith(f"/train/{source}:v0")
    assert linked["aliases"] == ["latest", "candidate"]
    again = _ok(run_script("artifact", "link", f"train/{source}:v0", target))
    assert f"as {target}:v0" in again  # the same version again: the existing link
    out = _ok(run_script("artifact", "link", f"train/{source}:v2", target, "--alias", "staging"))
    assert f"/train/{source}:v2 as {target}:v1 (aliases: latest, staging)" in out

    promoted = _ok(run_script("artifact", "alias", "add", f"{target}:v1", "production"))
    assert promoted.startswith("Alias 'production' now names") and f"{collection}:v1" in promoted
    rolled = _ok(run_script("artifact", "alias", "add", f"{target}:v0", "production"))
    assert "(moved from v1)" in rolled
    got = _ok(run_script("artifact", "show", f"{target}:production", "--json"))
    assert json.loads(got)["version"] == "v0"
    removed = _ok(run_script("artifact", "alias", "rm", f"{target}:v1", "staging", "--json"))
    assert json.loads(removed)["aliases"] == ["latest"]
    _ok(run_script("artifact", "alias", "add", f"{target}:v1", "staging"))

    listing = _ok(run_script("registry", "versions", f"model/{collection}"))
    lines = listing.splitlines()
    assert lines[0].split() == ["VERSION", "ALIASES", "SOURCE", "CREATED"]
    assert lines[1].split()[:2] == ["v1", "latest,staging"] and lines[2].split()[:2] == [
        "v0",
        "candidate,production",
    ]
    filtered = json.loads(
        _ok(
            run_script(
                "registry",
                "versions",
                "model",
                "--filter",
                json.dumps({"alias": "production", "collection": collection}),
                "--json",
            )
        )
    )
    assert [(v["collection"], v["version"]) for v in filtered] == [(collection, "v0")]
    limited = json.loads(
        _ok(run_script("registry", "versions", f"model/{collection}", "--limit", "1", "--json"))
    )
    assert [v["version"] for v in limited] == ["v1"]

    collections = json.loads(
        _ok(
            run_script(
                "registry", "collections", "model", "--filter", json.dumps({"name": collection}), "--json"
            )
        )
    )
    assert [(c["name"], c["type"], c["version_count"]) for c in collections] == [(collection, "model", 2)]
    assert collections[0]["latest"]["version"] == "v1"
    shown = _ok(run_script("registry", "show", "model"))
    row = next(line for line in shown.splitlines() if line.startswith(collection))
    assert row.split()[-3:] == ["2", "v1", "latest,staging"]

    unlinked = _ok(run_script("artifact", "unlink", f"{target}:v0"))
    assert f"Unlinked {target}:v0" in unlinked and f"train/{source}:v0" in unlinked
    assert [
        v["version"]
        for v in json.loads(_ok(run_script("registry", "versions", f"model/{collection}", "--json")))
    ] == ["v1"]
    assert _ok(run_script("artifact", "show", f"train/{source}:v0", "--json"))  # the source stays
    not_link = run_script("artifact", "unlink", f"train/{source}:v1")
    assert not_link.returncode == 2 and "is not a linked artifact" in not_link.stderr


def test_a_wrong_type_is_refused_naming_both_types(run_script: RunScript) -> None:
    source = _unique("clf")
    _log_models(source, 1)
    refused = run_script("artifact", "link", f"train/{source}:v0", f"wandb-registry-dataset/{source}")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "'dataset'" in refused.stderr and "'model'" in refused.stderr
