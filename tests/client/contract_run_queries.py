"""Backend contract: runs selected by W&B's filters, run deletion, project records."""

from __future__ import annotations

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import InvalidInputError, NotFoundError, RunNotFoundError
from archivist.core.models import RunQuery, RunRef, RunSpec, RunState, RunUpdate
from tests.client.artifact_logging import ENTITY, PROJECT, log_files

RUNS = {
    # run id: (config, summary, state, tags, job type, group, display name)
    "r1": (
        {"lr": 0.1, "opt": {"name": "adam"}, "arch": "cnn"},
        {"acc": 0.91},
        "finished",
        ("best",),
        "train",
        "g1",
        "alpha",
    ),
    "r2": (
        {"lr": 0.01, "opt": {"name": "sgd"}, "arch": "mlp"},
        {"acc": 0.75},
        "finished",
        (),
        "train",
        "g1",
        "beta",
    ),
    "r3": (
        {"lr": "high", "arch": "cnn"},
        {"acc": 0.5, "nan": None},
        "failed",
        ("x", "best"),
        "eval",
        "g2",
        "gamma",
    ),
    "r4": ({"lr": 0.001, "flag": True}, {}, "running", ("x",), "train", None, "delta"),
}


def _make_runs(backend: Backend) -> None:
    for run_id, (config, summary, state, tags, job_type, group, name) in RUNS.items():
        ref = RunRef(ENTITY, PROJECT, run_id)
        backend.upsert_run(
            RunSpec(ref=ref, config=config, tags=tags, job_type=job_type, group=group, name=name)
        )
        backend.update_run(ref, RunUpdate(summary=summary, state=state))


def _ids(
    backend: Backend, filters: dict[str, object] | None = None, order: str = "+created_at", **kw: int
) -> list[str]:
    query = RunQuery(ENTITY, PROJECT, filters or {}, order, **kw)
    return [record.ref.run_id for record in backend.query_runs(query)]


class RunQueryContract:
    def test_filters_on_config_and_summary(self, backend: Backend) -> None:
        _make_runs(backend)
        assert _ids(backend) == ["r1", "r2", "r3", "r4"]
        assert _ids(backend, {"config.lr": {"$gt": 0.005}}) == ["r1", "r2"]  # "high" is not a number
        assert _ids(backend, {"config.lr": 0.01}) == ["r2"]
        assert _ids(backend, {"config.lr.value": {"$lte": 0.01}}) == ["r2", "r4"]  # W&B's stored form
        assert _ids(backend, {"config.lr": "high"}) == ["r3"]
        assert _ids(backend, {"config.opt.name": {"$in": ["adam", "rmsprop"]}}) == ["r1"]
        assert _ids(backend, {"config.opt.name": {"$nin": ["adam"]}}) == ["r2", "r3", "r4"]
        assert _ids(backend, {"config.arch": {"$ne": "cnn"}}) == ["r2", "r4"]  # missing counts as not equal
        assert _ids(backend, {"config.flag": True}) == ["r4"]
        assert _ids(backend, {"config.opt": {"$exists": True}}) == ["r1", "r2"]
        assert _ids(backend, {"config.opt": {"$exists": False}}) == ["r3", "r4"]
        assert _ids(backend, {"summary_metrics.acc": {"$gte": 0.75, "$lt": 0.95}}) == ["r1", "r2"]
        assert _ids(backend, {"summary_metrics.nan": None}) == ["r1", "r2", "r3", "r4"]
        assert _ids(backend, {"config.arch": {"$regex": "^c"}}) == ["r1", "r3"]

    def test_filters_compare_infinite_summaries(self, backend: Backend) -> None:
        """W&B keeps infinity in summaries (stored as 9e999): filters compare it as the largest number."""
        values = {"i1": float("inf"), "i2": 2.5, "i3": float("-inf"), "i4": "text"}
        for run_id, best in values.items():
            ref = RunRef(ENTITY, PROJECT, run_id)
            backend.upsert_run(RunSpec(ref=ref))
            backend.update_run(ref, RunUpdate(summary={"best": best}))
        assert _ids(backend, {"summary_metrics.best": {"$gt": 1e300}}) == ["i1"]
        assert _ids(backend, {"summary_metrics.best": {"$lt": 0}}) == ["i3"]
        assert _ids(backend, {"summary_metrics.best": {"$gte": -1e300, "$lte": 1e300}}) == ["i2"]
        assert _ids(backend, {"summary_metrics.best": float("inf")}) == ["i1"]
        assert _ids(backend, {"summary_metrics.best": {"$ne": 2.5}}) == ["i1", "i3", "i4"]

    def test_filters_on_run_fields_and_logic(self, backend: Backend) -> None:
        _make_runs(backend)
        assert _ids(backend, {"state": "finished"}) == ["r1", "r2"]
        assert _ids(backend, {"tags": "best"}) == ["r1", "r3"]
        assert _ids(backend, {"tags": {"$in": ["x"]}}) == ["r3", "r4"]
        assert _ids(backend, {"tags": {"$nin": ["best"]}}) == ["r2", "r4"]
        assert _ids(backend, {"jobType": "eval"}) == ["r3"]
        assert _ids(backend, {"group": "g1", "display_name": {"$regex": "^b"}}) == ["r2"]
        assert _ids(backend, {"group": None}) == ["r4"]
        assert _ids(backend, {"$or": [{"config.lr": {"$lt": 0.005}}, {"state": "failed"}]}) == ["r3", "r4"]
        assert _ids(backend, {"$and": [{"jobType": "train"}, {"$nor": [{"tags": "best"}]}]}) == ["r2", "r4"]
        assert _ids(backend, {"name": "r2"}) == ["r2"]
        assert _ids(backend, {"createdAt": {"$gt": "2000-01-01"}}) == ["r1", "r2", "r3", "r4"]
        assert _ids(backend, {"createdAt": {"$lt": "2000-01-01T00:00:00Z"}}) == []

    def test_order_and_pages(self, backend: Backend) -> None:
        _make_runs(backend)
        assert _ids(backend, order="-created_at") == ["r4", "r3", "r2", "r1"]
        assert _ids(backend, order="+summary_metrics.acc") == ["r3", "r2", "r1", "r4"]  # missing last
        assert _ids(backend, order="-config.lr") == ["r1", "r2", "r4", "r3"]  # numbers, then text
        assert _ids(backend, order="display_name") == ["r1", "r2", "r4", "r3"]
        assert _ids(backend, order="+created_at", offset=1, limit=2) == ["r2", "r3"]

    def test_count_is_the_number_of_runs_the_filters_select(self, backend: Backend) -> None:
        _make_runs(backend)

        def count(filters: dict[str, object] | None = None, **kw: int) -> int:
            return backend.count_runs(RunQuery(ENTITY, PROJECT, filters or {}, "-config.lr", **kw))

        assert count() == 4
        assert count(offset=1, limit=2) == 4  # the page is not counted, the selection is
        assert count({"config.lr": {"$gt": 0.005}}) == 2
        assert count({"$or": [{"tags": "best"}, {"state": "failed"}]}) == 2
        assert count({"config.arch": {"$regex": "^c"}}) == 2
        assert backend.count_runs(RunQuery(ENTITY, "no-such-project")) == 0
        with pytest.raises(InvalidInputError, match=r"'\$gtx'.*\$gt"):
            count({"config.lr": {"$gtx": 1}})
        with pytest.raises(InvalidInputError, match=r"\$regex"):
            count({"config.arch": {"$regex": "("}})
        with pytest.raises(InvalidInputError, match="invalid run order"):
            backend.count_runs(RunQuery(ENTITY, PROJECT, {}, "-host"))

    def test_bad_filters_name_what_is_allowed(self, backend: Backend) -> None:
        _make_runs(backend)
        with pytest.raises(InvalidInputError, match=r"'\$gtx'.*\$gt"):
            _ids(backend, {"config.lr": {"$gtx": 1}})
        with pytest.raises(InvalidInputError, match=r"'\$where'.*\$and"):
            _ids(backend, {"$where": "1"})
        with pytest.raises(InvalidInputError, match="'colour'.*config.<key>"):
            _ids(backend, {"colour": "red"})
        with pytest.raises(InvalidInputError, match="not-a-date"):
            _ids(backend, {"createdAt": {"$gt": "not-a-date"}})
        for order in ("-host", "-notes", "+"):
            with pytest.raises(InvalidInputError, match="invalid run order"):
                _ids(backend, order=order)
        with pytest.raises(InvalidInputError, match=r"\$regex"):
            _ids(backend, {"config.arch": {"$regex": "("}})

    def test_state_filter_sees_crashed_runs(self, backend: Backend) -> None:
        import socket
        import subprocess
        import sys

        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        ref = RunRef(ENTITY, PROJECT, "dead")
        backend.upsert_run(RunSpec(ref=ref, host=socket.gethostname(), pid=child.pid))
        assert _ids(backend, {"state": "crashed"}) == ["dead"]
        assert backend.count_runs(RunQuery(ENTITY, PROJECT, {"state": "crashed"})) == 1
        assert _ids(backend, {"state": "running"}) == []

    def test_delete_run_keeps_its_versions(self, backend: Backend) -> None:
        ref = RunRef(ENTITY, PROJECT, "doomed")
        backend.upsert_run(RunSpec(ref=ref))
        backend.append_history(ref, [{"_step": 0, "loss": 1.0}])
        logged = log_files(backend, "made", {"a.txt": b"a"}, run=ref).version
        backend.record_use(ref, logged.id)
        backend.delete_run(ref)
        with pytest.raises(RunNotFoundError):
            backend.get_run(ref)
        assert backend.get_version(logged.id).producer is None
        assert backend.version_consumers(logged.id) == []
        with pytest.raises(RunNotFoundError):
            backend.delete_run(ref)

    def test_project_records(self, backend: Backend) -> None:
        backend.upsert_run(RunSpec(ref=RunRef(ENTITY, PROJECT, "one")))
        log_files(backend, "coll", {"a.txt": b"a"})
        log_files(backend, "other", {"b.txt": b"b"}, project="second")
        records = backend.list_project_records(ENTITY)
        assert [(r.name, r.run_count, r.collection_count) for r in records] == [
            (PROJECT, 1, 1),
            ("second", 0, 1),
        ]
        found = backend.get_project(ENTITY, PROJECT)
        assert found == records[0] and found.entity == ENTITY and found.created_at.endswith("+00:00")
        with pytest.raises(NotFoundError, match="'ent/absent' not found; the entity's projects: proj, sec"):
            backend.get_project(ENTITY, "absent")
        assert backend.list_project_records("nobody") == []

    def test_running_state_unchanged_by_query(self, backend: Backend) -> None:
        _make_runs(backend)
        assert backend.get_run(RunRef(ENTITY, PROJECT, "r4")).state is RunState.RUNNING

    def test_record_output_declares_an_existing_version(self, backend: Backend) -> None:
        made = log_files(backend, "made-outside", {"a.txt": b"outside"}).version
        assert made.producer is None
        ref = RunRef(ENTITY, PROJECT, "adopter")
        backend.upsert_run(RunSpec(ref=ref))
        backend.record_output(ref, made.id)
        backend.record_output(ref, made.id)  # idempotent
        assert [v.id for v in backend.run_outputs(ref)] == [made.id]
        assert backend.get_version(made.id).producer == ref
        elsewhere = RunRef(ENTITY, "another-project", "stranger")
        backend.upsert_run(RunSpec(ref=elsewhere))
        with pytest.raises(InvalidInputError, match="another project"):
            backend.record_output(elsewhere, made.id)
        with pytest.raises(RunNotFoundError):
            backend.record_output(RunRef(ENTITY, PROJECT, "absent"), made.id)
