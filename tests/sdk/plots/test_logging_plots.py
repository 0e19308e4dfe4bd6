"""``run.log({key: archivist.plot.X(...)})`` on the embedded store and the servers: the chart
leaves the history row, its spec lands in ``config["_wandb"]["visualize"][key]`` exactly as
``wandb.plot`` records it, and its table in a ``run_table`` artifact at the entry the web UI
looks up (``ChartSpec.table_path``) — keys with ``/``, nested dicts and ``split_table`` too."""

from __future__ import annotations

from typing import Any

import pytest
import wandb

import archivist
from archivist.core.chart_spec import charts_in_config

pytestmark = pytest.mark.usefixtures("archivist_env")

Y_TRUE = [0, 1, 2, 1, 0, 2, 2, 1]
PROBS = [
    [0.8, 0.1, 0.1],
    [0.2, 0.7, 0.1],
    [0.1, 0.3, 0.6],
    [0.5, 0.4, 0.1],
    [0.6, 0.2, 0.2],
    [0.3, 0.3, 0.4],
    [0.1, 0.1, 0.8],
    [0.2, 0.6, 0.2],
]
LOSS_ROWS = [[step, round(1 / (step + 1), 4)] for step in range(10)]


def charts(module: Any) -> dict[str, Any]:
    """The same charts made by ``wandb`` or by ``archivist``, by the key they are logged under."""
    return {
        "conf": module.plot.confusion_matrix(probs=PROBS, y_true=Y_TRUE, class_names=["a", "b", "c"]),
        "eval/roc": module.plot.roc_curve(Y_TRUE, PROBS, labels=["a", "b", "c"]),
        "loss": module.plot.line(
            module.Table(columns=["step", "loss"], data=LOSS_ROWS), "step", "loss", title="Loss"
        ),
        "pr": module.plot.pr_curve(Y_TRUE, PROBS, interp_size=5),
        "hist": module.plot.histogram(module.Table(columns=["v"], data=[[0.5], [1.5], [1.25]]), "v"),
        "bars": module.plot.bar(
            module.Table(columns=["l", "v"], data=[["x", 1], ["y", 2]]), "l", "v", split_table=True
        ),
    }


def run_table_entries(project: str) -> dict[str, Any]:
    """Every entry of the project's ``run_table`` artifacts -> its artifact."""
    api = archivist.Api()
    found = {}
    for collection in api.artifact_collections(project, "run_table"):
        artifact = api.artifact(f"{project}/{collection.name}:latest")
        found.update({name: artifact for name in artifact.manifest.entries})
    return found


def test_logged_charts_are_recorded_as_wandb_records_them() -> None:
    ours = charts(archivist)
    with archivist.init(project="plots") as run:
        run.log(
            {
                "conf": ours["conf"],
                "eval/roc": ours["eval/roc"],
                "train": {"loss": ours["loss"], "acc": 0.5},
                "bars": ours["bars"],
                "metrics": {"pr": ours["pr"], "hist": ours["hist"]},
                "lr": 0.1,
            }
        )
        run_id = run.id
    theirs = charts(wandb)
    keys = {
        "conf": "conf",
        "eval/roc": "eval/roc",
        "loss": "train.loss",
        "bars": "bars",
        "pr": "metrics.pr",
        "hist": "metrics.hist",
    }
    for name, key in keys.items():
        theirs[name].set_key(key)
    public = archivist.Api().run(f"plots/{run_id}")
    visualize = public.config["_wandb"]["visualize"]
    assert visualize == {key: theirs[name].spec.config_value for name, key in keys.items()}

    (row,) = public.scan_history()
    assert row["lr"] == 0.1 and row["train"] == {"acc": 0.5}
    assert not any(k in row for k in ("conf", "eval/roc", "bars", "metrics"))  # a dict left empty goes too
    table_keys = {
        "conf_table",
        "eval/roc_table",
        "train.loss_table",
        "Custom Chart Tables/bars_table",
        "metrics.pr_table",
        "metrics.hist_table",
    }
    assert table_keys <= set(row) and all(row[k]["_type"] == "table-file" for k in table_keys)

    entries = run_table_entries("plots")
    assert set(entries) == {f"{key}.table.json" for key in table_keys}
    specs = {spec.key: spec for spec in charts_in_config(public.config)}
    assert set(specs) == set(keys.values())
    for name, key in keys.items():
        spec = specs[key]
        assert spec.table_path in entries  # where the UI looks is where the SDK wrote it
        stored = entries[spec.table_path].get(spec.table_key)
        assert stored.columns == ours[name].table.columns and stored.data == ours[name].table.data


def test_module_level_log_keeps_earlier_charts_and_config() -> None:
    series = archivist.plot.line_series([0, 1, 2], [[3, 2, 1], [1, 2, 3]], keys=["a", "b"], xname="epoch")
    table = archivist.Table(columns=["x", "y"], data=[[1, 2], [2, 4]])
    with archivist.init(project="plots", config={"lr": 0.01}) as run:
        archivist.log({"series": series})
        archivist.log({"points": archivist.plot.scatter(table, "x", "y", title="Points")})
        legacy = archivist.Table(columns=["x", "y"], data=[[3, 1]])  # a table is logged once (as in W&B)
        archivist.log({"legacy": archivist.plot.visualize("wandb/line/v0", legacy)})
        run_id = run.id
    config = archivist.Api().run(f"plots/{run_id}").config
    assert config["lr"] == 0.01
    assert set(config["_wandb"]["visualize"]) == {"series", "points"}
    assert config["_wandb"]["viz"] == {
        "legacy": {"id": "wandb/line/v0", "historyFieldSettings": {"x-axis": "_step", "key": "legacy"}}
    }
    entries = run_table_entries("plots")
    assert {"series_table.table.json", "points_table.table.json", "legacy.table.json"} <= set(entries)
    stored = entries["series_table.table.json"].get("series_table")
    assert stored.columns == ["step", "lineKey", "lineVal"]
    assert stored.data == [[0, "a", 3], [1, "a", 2], [2, "a", 1], [0, "b", 1], [1, "b", 2], [2, "b", 3]]
    paths = {spec.key: spec.table_path for spec in charts_in_config(config)}
    assert paths == {
        "legacy": "legacy.table.json",
        "points": "points_table.table.json",
        "series": "series_table.table.json",
    }
