"""Stored runs through the query API: paths, attributes, history, files, lineage."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from archivist.client.transfer.hashing import hash_file
from archivist.core.errors import ArtifactNotLoggedError, InvalidInputError, RunNotFoundError
from archivist.sdk import session
from archivist.sdk.artifact import Artifact
from archivist.sdk.context import get_context
from archivist.sdk.public_runs import PublicRun, get_public_run, list_public_runs


@pytest.fixture
def finished_run(archivist_env: Path) -> session.Run:
    with session.init(
        project="pub",
        name="my-run",
        job_type="train",
        group="g1",
        notes="first try",
        tags=["baseline", "small data"],
        config={"lr": 0.1},
    ) as run:
        for i in range(30):
            metrics = {"loss": 30 - i}
            if i % 3 == 0:
                metrics["val"] = i
            run.log(metrics)
        run.summary["best"] = 7
    return run


def test_path_forms(finished_run: session.Run, default_entity: str) -> None:
    ctx = get_context()
    full = get_public_run(ctx, f"{default_entity}/pub/{finished_run.id}")
    assert get_public_run(ctx, f"pub/{finished_run.id}") == full
    assert get_public_run(ctx, f"{default_entity}/pub/runs/{finished_run.id}") == full
    assert full.path == [default_entity, "pub", finished_run.id]


@pytest.mark.parametrize("path", ["", "just-one", "a/b/c/d", "a//c", "a/b/c:d", 5])
def test_bad_run_paths(archivist_env: Path, path: object) -> None:
    with pytest.raises(InvalidInputError, match=r"run path|run id|project|entity"):
        get_public_run(get_context(), path)  # type: ignore[arg-type]


def test_missing_run(archivist_env: Path) -> None:
    with pytest.raises(RunNotFoundError):
        get_public_run(get_context(), "pub/nosuchrun")


def test_attributes(finished_run: session.Run, default_entity: str) -> None:
    run = get_public_run(get_context(), finished_run.path)
    assert (run.id, run.entity, run.project, run.name) == (finished_run.id, default_entity, "pub", "my-run")
    assert (run.job_type, run.group, run.notes) == ("train", "g1", "first try")
    assert run.tags == ["baseline", "small data"]
    assert run.state == "finished"
    assert run.config == {"lr": 0.1}
    assert run.summary["best"] == 7 and run.summary["loss"] == 1
    assert run.created_at and run.updated_at
    assert repr(run) == f"<Run {default_entity}/pub/{finished_run.id} (finished)>"


def test_scan_history_pages_filters_and_projects(finished_run: session.Run) -> None:
    run = get_public_run(get_context(), finished_run.path)
    everything = list(run.scan_history(page_size=7))
    assert [r["_step"] for r in everything] == list(range(30))
    only_val = list(run.scan_history(keys=["val"], page_size=4))
    assert only_val == [{"val": i, "_step": i} for i in range(0, 30, 3)]
    window = list(run.scan_history(keys="loss", min_step=10, max_step=13))
    assert window == [{"loss": 20, "_step": 10}, {"loss": 19, "_step": 11}, {"loss": 18, "_step": 12}]
    with pytest.raises(InvalidInputError, match="page_size"):
        list(run.scan_history(page_size=0))


def test_history_samples_evenly(finished_run: session.Run) -> None:
    run = get_public_run(get_context(), finished_run.path)
    sampled = run.history(samples=4, pandas=False)
    assert [r["_step"] for r in sampled] == [0, 10, 19, 29]
    assert run.history(samples=1, keys=["loss"], pandas=False) == [{"loss": 1, "_step": 29}]
    assert len(run.history(keys=["val"], pandas=False)) == 10
    assert run.history(stream="system", pandas=False) == []
    with pytest.raises(InvalidInputError, match="stream"):
        run.history(stream="gpu")
    with pytest.raises(InvalidInputError, match="samples"):
        run.history(samples=0)


def test_history_returns_a_dataframe_only_when_pandas_is_installed(finished_run: session.Run) -> None:
    result = get_public_run(get_context(), finished_run.path).history(keys=["loss"])
    if importlib.util.find_spec("pandas") is None:
        assert isinstance(result, list) and len(result) == 30
    else:
        assert list(result["loss"])[:2] == [30, 29]


def test_summary_update_and_run_update_persist(finished_run: session.Run) -> None:
    ctx = get_context()
    run = get_public_run(ctx, finished_run.path)
    run.summary.update({"extra": 1.5})
    run.summary["later"] = "x"
    run.summary.update()
    again = get_public_run(ctx, finished_run.path)
    assert again.summary["extra"] == 1.5 and again.summary["later"] == "x" and again.summary["best"] == 7
    again.name = "renamed"
    again.tags.append("promoted")
    again.config["lr"] = 0.2
    again.update()
    third = get_public_run(ctx, finished_run.path)
    assert (third.name, third.tags, third.config) == (
        "renamed",
        ["baseline", "small data", "promoted"],
        {"lr": 0.2},
    )
    third.tags = ["x" * 129]
    with pytest.raises(InvalidInputError, match="invalid run tag"):
        third.update()
    assert run.load().name == "renamed"


def test_list_runs(default_entity: str) -> None:
    ids = []
    for _ in range(3):
        with session.init(project="listed") as run:
            ids.append(run.id)
    with session.init(project="other"):
        pass
    ctx = get_context()
    runs = list_public_runs(ctx, "listed")
    assert sorted(r.id for r in runs) == sorted(ids)
    assert all(isinstance(r, PublicRun) and r.state == "finished" for r in runs)
    assert sorted(r.id for r in list_public_runs(ctx, f"{default_entity}/listed")) == sorted(ids)
    assert list_public_runs(ctx, "empty-project") == []
    with pytest.raises(InvalidInputError):
        list_public_runs(ctx, "a/b/c")


def test_files_lists_saved_files(archivist_env: Path) -> None:
    Path("model.txt").write_text("weights")
    with session.init(project="pub") as run:
        run.save("model.txt", policy="now")
    files = get_public_run(get_context(), run.path).files()
    assert [(f.path, f.size) for f in files] == [("model.txt", 7)]
    assert files[0].digest == hash_file("model.txt")[0]


def test_lineage_from_a_stored_run(archivist_env: Path) -> None:
    Path("data.csv").write_text("a,b\n1,2\n")
    with session.init(project="pub", job_type="prep") as producer:
        art = Artifact("data", type="dataset")
        art.add_file("data.csv")
        producer.log_artifact(art)
    art.wait()
    with session.init(project="pub", job_type="eval") as consumer:
        pass
    ctx = get_context()
    stored_producer = get_public_run(ctx, producer.path)
    stored_consumer = get_public_run(ctx, consumer.path)
    assert [a.id for a in stored_producer.logged_artifacts()] == [art.id]
    assert stored_consumer.used_artifacts() == []
    assert stored_consumer.use_artifact(art) is art
    assert [a.id for a in stored_consumer.used_artifacts()] == [art.id]
    draft = Artifact("never-logged", type="dataset")
    with pytest.raises(ArtifactNotLoggedError, match="not logged"):
        stored_consumer.use_artifact(draft)
