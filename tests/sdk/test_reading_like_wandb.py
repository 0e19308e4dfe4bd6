"""Reading as W&B's public API does: artifact and run files as ``File`` objects, runs chosen
by W&B's filters, projects as objects, ``url`` properties, ``define_metric``, and stored
runs' ``delete``/``log_artifact`` -- on the embedded store and through a server."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import httpx
import pytest

import archivist
from archivist.core.errors import (
    ArtifactNotFoundError,
    EntryNotFoundError,
    InvalidInputError,
    NotFoundError,
    RunNotFoundError,
)
from archivist.core.manifest import hash_bytes
from archivist.core.settings import Settings
from tests.ui.live_server import serving
from tests.ui.pages import csrf_token, get_ok

pytestmark = pytest.mark.usefixtures("archivist_env")


def _base(default_entity: str) -> str:
    return os.environ.get("ARCHIVIST_BASE_URL", "http://127.0.0.1:8080")


def _fetch(url: str) -> bytes:
    """What the web UI answers at ``url``: the server's (logged in with the test's key) or,
    for the embedded store, what ``archivist ui`` serves at its default address."""
    path = url.split("://", 1)[1].partition("/")[2]
    base = os.environ.get("ARCHIVIST_BASE_URL")
    if base is None:
        from archivist.server.ui.local_app import create_local_ui_app
        from archivist.service.embedded import LocalBackend

        assert url.startswith("http://127.0.0.1:8080/")
        backend = LocalBackend(Settings.from_env())
        try:
            with serving(create_local_ui_app(backend)) as local_ui, httpx.Client(base_url=local_ui) as http:
                answer = http.get("/" + path)
        finally:
            backend.close()
    else:
        assert url.startswith(base)
        with httpx.Client(base_url=base, timeout=30) as http:
            token = csrf_token(get_ok(http, "/ui/login"))
            http.post("/ui/login", data={"api_key": os.environ["ARCHIVIST_API_KEY"], "csrf_token": token})
            answer = http.get("/" + path)
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    return answer.content


def _log(project: str, name: str, files: dict[str, bytes], **init: object) -> archivist.Artifact:
    with archivist.init(project=project, **init) as run:  # type: ignore[arg-type]
        art = archivist.Artifact(name, type="dataset")
        for path, data in files.items():
            with art.new_file(path, mode="wb") as handle:
                handle.write(data)
        run.log_artifact(art)
    return art


# --- artifact.files() ---------------------------------------------------------------------------


def test_artifact_files_are_wandb_files(tmp_path: Path, default_entity: str) -> None:
    _log("p", "d", {"a.txt": b"alpha", "img/1.png": b"one"})
    logged = archivist.Api().artifact("p/d:latest")
    files = list(logged.files())
    assert [(f.name, f.size, f.digest) for f in files] == [
        ("a.txt", 5, hash_bytes(b"alpha")),
        ("img/1.png", 3, hash_bytes(b"one")),
    ]
    assert files[0].mimetype == "text/plain" and files[1].mimetype == "image/png"
    version_page = f"{_base(default_entity)}/ui/artifacts/{default_entity}/p/d/v0"
    assert logged.url == version_page
    assert files[1].url == f"{version_page}/files/raw?path=img%2F1.png"
    assert [f.name for f in logged.files(names=["img/1.png"], per_page=1)] == ["img/1.png"]
    assert _fetch(files[1].url) == b"one"
    assert b"d:v0" in _fetch(logged.url)

    os.chdir(tmp_path)
    with files[1].download() as opened:  # root "." as W&B's File
        assert Path(opened.name).resolve() == (tmp_path / "img" / "1.png").resolve()
    assert (tmp_path / "img" / "1.png").read_bytes() == b"one"
    (tmp_path / "img" / "1.png").write_bytes(b"changed")
    with pytest.raises(ValueError, match="already exists: pass replace=True"):
        files[1].download()
    files[1].download(exist_ok=True).close()
    assert (tmp_path / "img" / "1.png").read_bytes() == b"changed"
    files[1].download(replace=True).close()
    assert (tmp_path / "img" / "1.png").read_bytes() == b"one"
    with files[0].download(root=str(tmp_path / "elsewhere")) as opened:
        assert opened.read() == "alpha"


def test_artifact_files_keep_the_streaming_extensions() -> None:
    logged = _log("p", "s", {"a.txt": b"a", "img/1.png": b"1", "img2.png": b"2"})
    assert [f.name for f in logged.files(path_prefix="img")] == ["img/1.png", "img2.png"]
    assert len(logged.files()) == 3 and logged.files()[1].path == "img/1.png"
    draft = archivist.Artifact("draft", type="dataset")
    with draft.new_file("x.txt") as handle:
        handle.write("x")
    assert [(f.name, f.url) for f in draft.files()] == [("x.txt", None)]


# --- api.runs(filters=) ---------------------------------------------------------------------------


def _runs() -> None:
    specs = [
        ("alpha", "train", "g1", ["best"], {"lr": 0.1, "opt": "adam"}, {"acc": 0.9}),
        ("beta", "train", "g1", [], {"lr": 0.01, "opt": "sgd"}, {"acc": 0.7}),
        ("gamma", "eval", "g2", ["best"], {"lr": 0.001, "opt": "adam"}, {"acc": 0.8}),
        ("delta", "train", None, [], {"lr": 0.05}, {}),
        ("eps", "eval", None, [], {"lr": 0.2}, {"acc": 0.1}),
    ]
    for name, job_type, group, tags, config, summary in specs:
        with archivist.init(
            project="runs", name=name, job_type=job_type, group=group, tags=tags, config=config
        ) as run:
            run.summary.update(summary)


def test_runs_by_wandb_filters() -> None:
    _runs()
    api = archivist.Api()

    def names(**kw: object) -> list[str]:
        return [run.name for run in api.runs("runs", **kw)]  # type: ignore[arg-type]

    assert names() == ["eps", "delta", "gamma", "beta", "alpha"]  # newest first
    assert names(order="+created_at") == ["alpha", "beta", "gamma", "delta", "eps"]
    assert names(filters={"config.lr": {"$gte": 0.05}}, order="+config.lr") == ["delta", "alpha", "eps"]
    assert names(filters={"summary_metrics.acc": {"$gt": 0.75}}, order="-summary_metrics.acc") == [
        "alpha",
        "gamma",
    ]
    assert names(filters={"$or": [{"tags": "best"}, {"jobType": "eval"}]}, order="display_name") == [
        "alpha",
        "eps",
        "gamma",
    ]
    assert names(filters={"group": "g1", "config.opt": {"$ne": "adam"}}) == ["beta"]
    [best] = api.runs("runs", filters={"summary_metrics.acc": {"$gte": 0.9}}, include_sweeps=False)
    assert (best.display_name, best.summary_metrics["acc"], best.config["opt"]) == ("alpha", 0.9, "adam")
    assert names(filters={"state": "finished", "display_name": {"$regex": "^(al|be)"}}) == ["beta", "alpha"]
    earlier = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    assert len(api.runs("runs", filters={"createdAt": {"$gt": earlier}})) == 5
    assert names(filters={"createdAt": {"$lt": dt.date(2000, 1, 1)}}) == []


def test_runs_come_in_pages() -> None:
    _runs()
    counted = archivist.Api().runs("runs", per_page=2, filters={"jobType": "train"})
    assert len(counted) == 3 and [r.name for r in counted] == ["delta", "beta", "alpha"]
    runs = archivist.Api().runs("runs", per_page=2, order="+created_at")
    assert runs[0].name == "alpha" and runs[3].name == "delta"
    assert len(runs) == 5 and [r.name for r in runs[-2:]] == ["delta", "eps"]
    assert [r.name for r in runs] == ["alpha", "beta", "gamma", "delta", "eps"]
    with pytest.raises(IndexError):
        runs[5]


@pytest.mark.parametrize(
    ("filters", "order", "said"),
    [
        ({"config.lr": {"$bigger": 1}}, "-created_at", r"'\$bigger'.*\$gt"),
        ({"colour": 1}, "-created_at", "'colour'"),
        ({"createdAt": {"$gt": "yesterday"}}, "-created_at", "'yesterday'"),
        (None, "-heartbeat", "invalid run order"),
        ([("a", 1)], "-created_at", "expected a dict"),
    ],
)
def test_bad_run_filters_are_refused_before_asking(filters: object, order: str, said: str) -> None:
    with pytest.raises(InvalidInputError, match=said):
        archivist.Api().runs("runs", filters=filters, order=order)  # type: ignore[arg-type]


# --- projects --------------------------------------------------------------------------------------


def test_projects_are_objects(default_entity: str) -> None:
    _log("proj-a", "d", {"a.txt": b"a"})
    _log("proj-b", "m", {"w.bin": b"w"})
    api = archivist.Api()
    projects = api.projects()
    assert [(p.name, p.entity) for p in projects] == [("proj-a", default_entity), ("proj-b", default_entity)]
    project = api.project("proj-a")
    assert project == projects[0] == api.project(f"{default_entity}/proj-a")
    assert project == api.project("proj-a", entity=default_entity)
    assert dt.datetime.fromisoformat(project.created_at) <= dt.datetime.now(dt.timezone.utc)
    assert project.url == f"{_base(default_entity)}/ui/projects/{default_entity}/proj-a"
    assert b"dataset" in _fetch(project.url)
    assert project.path == [default_entity, "proj-a"] and (project.run_count, project.collection_count) == (
        1,
        1,
    )
    assert [t.name for t in project.artifacts_types()] == ["dataset"]
    assert [c.name for c in project.collections()] == ["d"]
    assert [a.name for a in project.artifacts()] == ["d:v0"]
    assert [r.project for r in project.runs()] == ["proj-a"]
    with pytest.raises(NotFoundError, match="proj-c' not found; the entity's projects: proj-a, proj-b"):
        api.project("proj-c")


# --- urls, define_metric ------------------------------------------------------------------------------


def test_run_url(default_entity: str) -> None:
    with archivist.init(project="u") as run:
        assert run.url == f"{_base(default_entity)}/ui/runs/{default_entity}/u/{run.id}"
    assert archivist.Api().run(f"u/{run.id}").url == run.url
    assert run.id.encode() in _fetch(run.url)


def test_define_metric_summaries_and_step_sync() -> None:
    with archivist.init(project="m") as run:
        archivist.define_metric("epoch")  # the module-level form acts on the current run
        run.define_metric("loss", summary="min,mean,last", step_metric="epoch")
        run.define_metric("val/*", summary="max")
        run.define_metric("noise", summary="none")
        run.define_metric("acc", summary="best", goal="maximize")
        for epoch, loss in enumerate([3.0, 1.0, 2.0]):
            run.log({"epoch": epoch, "noise": epoch})
            run.log({"loss": loss, "val/acc": loss / 10, "acc": 1 / loss})
        assert run.summary["loss"] == {"min": 1.0, "mean": 2.0, "last": 2.0}
        assert run.summary["val/acc"] == {"max": 0.3}
        assert run.summary["acc"] == {"best": 1.0}
        assert "noise" not in run.summary
        with pytest.raises(InvalidInputError, match="min, max, mean"):
            run.define_metric("x", summary="median")
        with pytest.raises(InvalidInputError, match="needs a goal"):
            run.define_metric("x", summary="best")
    stored = archivist.Api().run(f"m/{run.id}")
    assert stored.summary["loss"] == {"min": 1.0, "mean": 2.0, "last": 2.0}
    rows = list(stored.scan_history(keys=["loss"]))
    assert [row["loss"] for row in rows] == [3.0, 1.0, 2.0]
    assert [row["epoch"] for row in stored.scan_history(keys=["loss", "epoch"])] == [0, 1, 2]  # synced
    defined = {m["name"]: m for m in stored.config["_wandb"]["m"]}
    assert defined["loss"]["step_metric"] == "epoch" and defined["loss"]["summary"] == ["min", "mean", "last"]
    assert "_wandb" not in dict(run.config)
    with archivist.init(project="m", id=run.id, resume="allow") as resumed:  # definitions come back
        resumed.log({"loss": 1.5, "val/acc": 0.2})
        assert resumed.summary["loss"] == {"min": 1.0, "mean": 1.5, "last": 1.5}  # the mean starts again
        assert resumed.summary["val/acc"] == {"max": 0.3}
        assert "_wandb" not in dict(resumed.config)
        resumed.config["_wandb"] = {"visualize": {"chart": {"panel_type": "Vega2"}}}
    internal = archivist.Api().run(f"m/{run.id}").config["_wandb"]
    assert internal["m"][1]["name"] == "loss" and internal["visualize"] == {"chart": {"panel_type": "Vega2"}}


def test_define_metric_in_disabled_mode_keeps_the_summary_in_memory() -> None:
    with archivist.init(project="off", mode="disabled") as run:
        archivist.define_metric("loss", summary="min")
        run.log({"loss": 2})
        run.log({"loss": 1})
        assert run.summary["loss"] == {"min": 1} and run.url is None
    assert archivist.Api().projects() == []


# --- stored runs: files, delete, log_artifact -------------------------------------------------------------


def test_stored_run_files(tmp_path: Path, default_entity: str) -> None:
    Path("model.txt").write_text("weights")
    with archivist.init(project="f") as run:
        run.save("model.txt", policy="now")
    stored = archivist.Api().run(f"f/{run.id}")
    [found] = stored.files()
    assert (found.name, found.size, found.mimetype) == ("model.txt", 7, "text/plain")
    assert found.url.startswith(f"{_base(default_entity)}/ui/runs/{default_entity}/f/{run.id}/files")
    assert stored.files(names=["absent", "model.txt"])[0].name == "model.txt"
    assert _fetch(found.url) == b"weights"
    one = stored.file("model.txt")
    with one.download(root=str(tmp_path / "out")) as opened:
        assert opened.read() == "weights"
    with pytest.raises(ValueError, match="already exists"):
        one.download(root=str(tmp_path / "out"))
    with pytest.raises(EntryNotFoundError, match="no file 'weights.bin'; its files: 'model.txt'"):
        stored.file("weights.bin")


def test_delete_a_stored_run() -> None:
    kept = _log("del", "kept", {"a.txt": b"kept"}, job_type="maker")
    producer = kept.logged_by()
    assert producer is not None
    producer.delete()
    with pytest.raises(RunNotFoundError):
        archivist.Api().run(f"del/{producer.id}")
    again = archivist.Api().artifact("del/kept:latest")
    assert again.logged_by() is None and again.files()[0].name == "a.txt"

    gone = _log("del", "gone", {"b.txt": b"gone"})
    maker = gone.logged_by()
    assert maker is not None
    maker.delete(delete_artifacts=True)
    with pytest.raises(ArtifactNotFoundError):
        archivist.Api().artifact("del/gone:v0")


def test_stored_run_logs_an_existing_artifact() -> None:
    art = archivist.Artifact("outside", type="dataset")
    with art.new_file("a.txt") as handle:
        handle.write("made outside a run")
    art.save(project="adopt")
    art.wait()
    with archivist.init(project="adopt", job_type="adopter") as run:
        pass
    stored = archivist.Api().run(f"adopt/{run.id}")
    logged = archivist.Api().artifact("adopt/outside:latest")
    assert stored.log_artifact(logged, aliases=["adopted"], tags=["t1"]) is logged
    assert "adopted" in logged.aliases and logged.tags == ["t1"]
    assert [a.name for a in stored.logged_artifacts()] == [logged.name]
    with archivist.init(project="elsewhere") as other:
        pass
    with pytest.raises(ValueError, match="another project"):
        archivist.Api().run(f"elsewhere/{other.id}").log_artifact(logged)


# --- a lookup that finds nothing --------------------------------------------------------------------------


def test_the_seed_snippet_is_told_where_its_file_is() -> None:
    with archivist.init(project="seed") as run:
        artifact = archivist.Artifact(name="example_artifact", type="dataset")
        with artifact.new_file("training_dataset", mode="wb") as handle:
            handle.write(b"rows")
        run.log_artifact(artifact)
    with archivist.init(project="seed") as run:
        with pytest.raises(ArtifactNotFoundError) as caught:
            run.use_artifact("training_dataset:latest")
        with pytest.raises(
            ArtifactNotFoundError, match="'example_artifact' has no alias 'best'; its aliases: latest"
        ):
            run.use_artifact("example_artifact:best")
    message = str(caught.value)
    assert "no artifact 'training_dataset'" in message
    assert "'example_artifact' has a file named training_dataset" in message
