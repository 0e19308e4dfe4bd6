"""The query API: types, collections (edit, rename, delete) and lineage walks."""

from __future__ import annotations

import pytest

import archivist
from archivist.core.errors import ConflictError, NotFoundError

pytestmark = pytest.mark.usefixtures("archivist_env")


def _log(run, name: str, type_: str, text: str, **kwargs) -> archivist.Artifact:
    art = archivist.Artifact(name, type=type_)
    with art.new_file("f.txt", mode="w") as f:
        f.write(text)
    return run.log_artifact(art, **kwargs).wait()


@pytest.fixture
def project(archivist_env) -> None:
    with archivist.init(project="p") as run:
        _log(run, "raw", "dataset", "1")
        _log(run, "raw", "dataset", "2")
        _log(run, "clean", "dataset", "3")
        _log(run, "net", "model", "4", aliases=["best"])


@pytest.mark.usefixtures("project")
def test_types_and_collections() -> None:
    api = archivist.Api()
    assert sorted(t.name for t in api.artifact_types("p")) == ["dataset", "model"]
    datasets = api.artifact_type("dataset", "p")
    assert sorted(c.name for c in datasets.collections()) == ["clean", "raw"]
    raw = api.artifact_collection("dataset", "p/raw")
    assert raw.type == "dataset" and raw.is_sequence() and raw.aliases == ["latest"]
    assert [a.version for a in raw.artifacts()] == ["v1", "v0"]
    assert [c.name for c in api.artifact_collections("p", "model")] == ["net"]
    assert "best" in api.artifact_collection("model", "p/net").aliases
    with pytest.raises(NotFoundError):
        api.artifact_type("table", "p")
    assert api.artifact_exists("p/raw:v1") and not api.artifact_exists("p/raw:v9")
    assert not api.artifact_exists("p/nope")
    with pytest.raises(ValueError, match="type 'dataset'"):
        api.artifact("p/raw", type="model")


@pytest.mark.usefixtures("project")
def test_collection_edits() -> None:
    api = archivist.Api()
    raw = api.artifact_collection("dataset", "p/raw")
    raw.description = "Raw dumps"
    raw.tags = ["source"]
    raw.save()
    again = api.artifact_collection("dataset", "p/raw")
    assert again.description == "Raw dumps" and again.tags == ["source"]
    again.name = "clean"
    with pytest.raises(ConflictError):
        again.save()
    again.name = "raw-v2"
    again.save()
    assert api.artifact("p/raw-v2:v1").version == "v1"
    assert not api.artifact_exists("p/raw")


@pytest.mark.usefixtures("project")
def test_collection_delete_then_fresh_start() -> None:
    api = archivist.Api()
    api.artifact_collection("dataset", "p/raw").delete()
    assert not api.artifact_exists("p/raw")
    with archivist.init(project="p") as run:
        assert _log(run, "raw", "dataset", "new").version == "v0"


def test_lineage_walks_both_ways() -> None:
    with archivist.init(project="p", job_type="ingest") as ingest:
        raw = _log(ingest, "raw", "dataset", "r")
    with archivist.init(project="p", job_type="prep") as prep:
        prep.use_artifact("raw:latest")
        clean = _log(prep, "clean", "dataset", "c")
    with archivist.init(project="p", job_type="train") as train:
        train.use_artifact("clean:latest")
        model = _log(train, "net", "model", "m")
    api = archivist.Api()
    up = api.lineage("p/net:latest", depth=10, direction="upstream")
    kinds = {(n.kind, n.label) for n in up.nodes}
    assert ("version", "raw:v0") in kinds and ("version", "clean:v0") in kinds
    assert {n.run.job_type for n in up.nodes if n.kind == "run"} == {"ingest", "prep", "train"}
    down = api.lineage(raw, depth=2, direction="downstream")
    assert {n.id for n in down.nodes} == {raw.id, prep.path, clean.id}
    edges = {(e.source, e.target, e.kind) for e in down.edges}
    assert (raw.id, prep.path, "used") in edges and (prep.path, clean.id, "logged") in edges
    shallow = api.lineage(model, depth=1, direction="upstream")
    assert {n.id for n in shallow.nodes} == {model.id, train.path}
    with pytest.raises(ValueError, match="direction"):
        api.lineage(model, direction="sideways")
