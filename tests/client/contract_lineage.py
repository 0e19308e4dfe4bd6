"""Backend contract: lineage edges and graph walks."""

from __future__ import annotations

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError, RunNotFoundError
from archivist.core.models import Direction, LineageGraph, RunRef, RunSpec, VersionRecord
from tests.client.artifact_logging import ENTITY, PROJECT, log_text


def _run(backend: Backend, run_id: str, job_type: str | None = None) -> RunRef:
    ref = RunRef(ENTITY, PROJECT, run_id)
    backend.upsert_run(RunSpec(ref=ref, job_type=job_type))
    return ref


def _pipeline(backend: Backend) -> dict[str, VersionRecord]:
    """ingest -> raw -> prep -> clean -> train -> model; eval uses model."""
    ingest, prep, train, evaluate = (
        _run(backend, name, job)
        for name, job in (("ingest", "load"), ("prep", None), ("train", "train"), ("eval", "eval"))
    )
    raw = log_text(backend, "raw", "r", run=ingest).version
    backend.record_use(prep, raw.id)
    clean = log_text(backend, "clean", "c", run=prep).version
    backend.record_use(train, clean.id)
    model = log_text(backend, "model", "m", type_name="model", run=train).version
    backend.record_use(evaluate, model.id)
    return {"raw": raw, "clean": clean, "model": model}


def _edges(graph: LineageGraph) -> set[tuple[str, str, str]]:
    return {(edge.source, edge.target, edge.kind) for edge in graph.edges}


def _path(run_id: str) -> str:
    return f"{ENTITY}/{PROJECT}/{run_id}"


class LineageContract:
    def test_record_use_is_idempotent_and_ordered(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a").version
        first, second = _run(backend, "r1"), _run(backend, "r2")
        backend.record_use(second, version.id)
        backend.record_use(first, version.id)
        backend.record_use(second, version.id)
        assert [run.ref for run in backend.version_consumers(version.id)] == [second, first]
        assert [v.id for v in backend.run_inputs(first)] == [version.id]

    def test_record_use_needs_a_run_and_a_live_version(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a").version
        with pytest.raises(RunNotFoundError):
            backend.record_use(RunRef(ENTITY, PROJECT, "ghost"), version.id)
        ref = _run(backend, "r1")
        backend.delete_version(version.id, delete_aliases=True)
        with pytest.raises(ArtifactNotFoundError):
            backend.record_use(ref, version.id)

    def test_producer_is_none_without_a_run(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a").version
        assert backend.version_producer(version.id) is None
        assert backend.version_consumers(version.id) == []

    def test_run_inputs_and_outputs_leave_out_deleted_versions(self, backend: Backend) -> None:
        ref = _run(backend, "r1")
        kept = log_text(backend, "cats", "a", run=ref).version
        dropped = log_text(backend, "dogs", "b", run=ref).version
        backend.record_use(ref, kept.id)
        backend.record_use(ref, dropped.id)
        backend.delete_version(dropped.id, delete_aliases=True)
        assert [v.id for v in backend.run_outputs(ref)] == [kept.id]
        assert [v.id for v in backend.run_inputs(ref)] == [kept.id]
        with pytest.raises(RunNotFoundError):
            backend.run_outputs(RunRef(ENTITY, PROJECT, "ghost"))

    def test_upstream_walk_stops_at_depth(self, backend: Backend) -> None:
        v = _pipeline(backend)
        one_hop = backend.lineage(v["clean"].id, Direction.UPSTREAM, 1)
        assert one_hop.root == v["clean"].id
        assert [n.id for n in one_hop.nodes] == [v["clean"].id, _path("prep")]
        assert _edges(one_hop) == {(_path("prep"), v["clean"].id, "logged")}
        three = backend.lineage(v["clean"].id, Direction.UPSTREAM, 3)
        assert {n.id for n in three.nodes} == {v["clean"].id, _path("prep"), v["raw"].id, _path("ingest")}
        assert _edges(three) == {
            (_path("prep"), v["clean"].id, "logged"),
            (v["raw"].id, _path("prep"), "used"),
            (_path("ingest"), v["raw"].id, "logged"),
        }

    def test_downstream_and_both(self, backend: Backend) -> None:
        v = _pipeline(backend)
        down = backend.lineage(v["clean"].id, Direction.DOWNSTREAM, 10)
        assert {n.id for n in down.nodes} == {v["clean"].id, _path("train"), v["model"].id, _path("eval")}
        both = backend.lineage(v["clean"].id, "both", 2)
        assert {n.id for n in both.nodes} == {
            v["clean"].id,
            _path("prep"),
            v["raw"].id,
            _path("train"),
            v["model"].id,
        }
        assert backend.lineage(v["clean"].id, Direction.BOTH, 0).nodes[0].id == v["clean"].id
        assert len(backend.lineage(v["clean"].id, Direction.BOTH, 0).nodes) == 1

    def test_walk_from_a_run_with_labels_and_records(self, backend: Backend) -> None:
        v = _pipeline(backend)
        graph = backend.lineage(_path("train"), Direction.BOTH, 1)
        nodes = {n.id: n for n in graph.nodes}
        assert graph.root == _path("train")
        assert set(nodes) == {_path("train"), v["clean"].id, v["model"].id}
        train = nodes[_path("train")]
        assert train.kind == "run" and train.label == "train (train)" and train.run is not None
        model = nodes[v["model"].id]
        assert model.kind == "version" and model.label == "model:v0"
        assert model.version is not None and model.version.type == "model"

    def test_walk_leaves_out_deleted_versions(self, backend: Backend) -> None:
        v = _pipeline(backend)
        backend.delete_version(v["raw"].id, delete_aliases=True)
        graph = backend.lineage(_path("prep"), Direction.UPSTREAM, 5)
        assert [n.id for n in graph.nodes] == [_path("prep")] and graph.edges == ()
        with pytest.raises(ArtifactNotFoundError):
            backend.lineage(v["raw"].id, Direction.BOTH, 1)

    @pytest.mark.parametrize(
        ("node", "direction", "depth", "error"),
        [
            ("ent/proj", Direction.BOTH, 1, InvalidInputError),
            ("ent/proj/ghost", Direction.BOTH, 1, RunNotFoundError),
            ("424242", Direction.BOTH, 1, ArtifactNotFoundError),
            ("SELF", "sideways", 1, InvalidInputError),
            ("SELF", Direction.BOTH, -1, InvalidInputError),
        ],
    )
    def test_walk_refuses_bad_requests(self, backend: Backend, node, direction, depth, error) -> None:  # type: ignore[no-untyped-def]
        version = log_text(backend, "cats", "a").version
        with pytest.raises(error):
            backend.lineage(version.id if node == "SELF" else node, direction, depth)
