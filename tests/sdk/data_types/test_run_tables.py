"""run.log of tables: the run_table artifact W&B makes, incremental tables, relogging
rules per log_mode, and the history row's pointer; embedded store and servers."""

from __future__ import annotations

import pytest

import archivist
from archivist.core.errors import NotFoundError, ReservedTypeError

pytestmark = pytest.mark.usefixtures("archivist_env")


def _history(run_id: str) -> list[dict]:
    return list(archivist.Api().run(f"p/{run_id}").scan_history())


def test_logging_a_table_makes_a_run_table_artifact() -> None:
    table = archivist.Table(columns=["x", "label"], data=[[1, "a"], [2, "b"]])
    with archivist.init(project="p") as run:
        run.log({"preds": table, "acc": 0.5})
        run_id = run.id
    art = archivist.Api().artifact(f"p/run-{run_id}-preds:latest")
    assert art.type == "run_table" and list(art.manifest.entries) == ["preds.table.json"]
    assert art.get("preds") == table
    assert art.logged_by().id == run_id
    (row,) = _history(run_id)
    assert row["acc"] == 0.5
    assert row["preds"]["_type"] == "table-file"
    assert (row["preds"]["ncols"], row["preds"]["nrows"], row["preds"]["path"]) == (2, 2, "preds.table.json")
    with pytest.raises(ReservedTypeError):
        archivist.Artifact(f"run-{run_id}-mine", type="run_table")  # users cannot make one


def test_logging_a_dataframe_logs_the_table_made_from_it() -> None:
    import pandas as pd

    frame = pd.DataFrame({"x": [1.5, 2.5, 3.5], "label": ["a", "b", "c"]})
    with archivist.init(project="p") as run:
        run.log({"frame": frame, "acc": 0.5})
        run_id = run.id
    art = archivist.Api().artifact(f"p/run-{run_id}-frame:latest")
    assert art.type == "run_table"
    assert art.get("frame").get_dataframe().equals(frame)
    (row,) = _history(run_id)
    assert row["frame"]["_type"] == "table-file" and row["frame"]["nrows"] == 3


def test_module_level_log_and_key_with_slash() -> None:
    with archivist.init(project="p") as run:
        archivist.log({"eval/preds": archivist.Table(columns=["a"], data=[[1]])})
        run_id = run.id
    names = [c.name for c in archivist.Api().artifact_collections("p", "run_table")]
    assert len(names) == 1 and names[0].startswith(f"run-{run_id}-evalpreds-")  # sanitized as W&B does
    art = archivist.Api().artifact(f"p/{names[0]}:latest")
    assert list(art.manifest.entries) == ["eval/preds.table.json"]


def test_immutable_table_logged_again_makes_no_new_version_and_mutable_does() -> None:
    fixed = archivist.Table(columns=["a"], data=[[1]])
    changing = archivist.Table(columns=["a"], data=[[1]], log_mode="MUTABLE")
    with archivist.init(project="p") as run:
        run.log({"fixed": fixed, "changing": changing})
        fixed.add_data(2)  # a warning; the next log repeats the first
        changing.add_data(2)
        run.log({"fixed": fixed, "changing": changing})
        run_id = run.id
    api = archivist.Api()
    assert [v.version for v in api.artifacts("run_table", f"p/run-{run_id}-fixed")] == ["v0"]
    assert api.artifact(f"p/run-{run_id}-fixed:latest").get("fixed").get_column("a") == [1]
    versions = sorted(v.version for v in api.artifacts("run_table", f"p/run-{run_id}-changing"))
    assert versions == ["v0", "v1"]
    assert api.artifact(f"p/run-{run_id}-changing:v1").get("changing").get_column("a") == [1, 2]
    first, second = _history(run_id)
    assert first["fixed"] == second["fixed"]


def test_incremental_table_adds_each_logs_new_rows() -> None:
    table = archivist.Table(columns=["step", "loss"], log_mode="INCREMENTAL")
    with archivist.init(project="p") as run:
        for step in range(3):
            table.add_data(step, 1.0 / (step + 1))
            table.add_data(step, 0.5 / (step + 1))
            run.log({"losses": table})
        run_id = run.id
    art = archivist.Api().artifact(f"p/run-{run_id}-incr-losses:latest")
    assert art.type == "wandb-run-incremental-table" and art.version == "v2"
    entries = sorted(art.manifest.entries)
    assert [e.split("-")[0] for e in entries] == ["0", "1", "2"]
    assert all(e.endswith(".losses.table.json") for e in entries)
    whole = art.get(entries[-1])  # any increment reads back every increment's rows
    assert whole.get_column("step") == [0, 0, 1, 1, 2, 2]
    assert whole.data == table.data
    rows = [r["losses"] for r in _history(run_id)]
    assert [r["_type"] for r in rows] == ["incremental-table-file"] * 3
    assert [r["nrows"] for r in rows] == [2, 4, 6]


def test_disabled_run_logs_tables_without_storing_them() -> None:
    import os

    import numpy as np

    with archivist.init(project="p", mode="disabled") as run:
        run.log({"preds": archivist.Table(columns=["a"], data=[[1]])})
        run.log({"sample": archivist.Image(np.zeros((2, 2), dtype=np.uint8))})
        assert run.summary["preds"]["_type"] == "table-file"
        assert run.summary["sample"]["_type"] == "image-file"
        assert not os.path.exists(os.path.join(run.dir, "media"))
    with pytest.raises(NotFoundError, match="no artifacts of type 'run_table'"):
        archivist.Api().artifact_collections("p", "run_table")


def test_media_logged_to_a_run_become_run_files() -> None:
    import numpy as np

    from archivist.core.manifest import hash_bytes

    pixels = [np.full((4, 6), i * 40, dtype=np.uint8) for i in range(3)]
    with archivist.init(project="p") as run:
        run.log({"sample": archivist.Image(pixels[0], caption="first"), "page": archivist.Html("<b>x</b>")})
        run.log({"batch": [archivist.Image(p, caption=f"n{i}") for i, p in enumerate(pixels)]})
        run_id = run.id
        run_dir = run.dir
    first, second = _history(run_id)
    sample = first["sample"]
    assert sample["_type"] == "image-file" and (sample["width"], sample["height"]) == (6, 4)
    assert sample["caption"] == "first" and sample["path"].startswith("media/images/")
    assert first["page"]["_type"] == "html-file"
    batch = second["batch"]
    assert batch["_type"] == "images/separated" and batch["count"] == 3
    assert batch["captions"] == ["n0", "n1", "n2"]
    stored = {f.path: f.digest for f in archivist.Api().run(f"p/{run_id}").files()}
    for path in [sample["path"], first["page"]["path"], *batch["filenames"]]:
        with open(f"{run_dir}/{path}", "rb") as handle:
            assert stored[path] == hash_bytes(handle.read())
