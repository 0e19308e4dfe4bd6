"""Tables in W&B's own file layout, written by the test (not by an SDK class): the JSON
of ``<name>.table.json`` with ``image-file`` cells pointing at PNG files under
``media/images/``, a joined and a partitioned table, a 200,000-row table, and a
``run_table`` artifact with the tables and config entries ``wandb.plot.*`` would write
(``config["_wandb"]["visualize"][key]``, W&B's custom-chart layout)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

TABLES_PROJECT = "tables"
PRED_ROWS = 120
IMAGE_COUNT = 12
BIG_ROWS = 200_000
CLASSES = ("cat", "dog", "bird")
CONFUSION = {
    ("cat", "cat"): 30,
    ("cat", "dog"): 4,
    ("dog", "dog"): 25,
    ("dog", "cat"): 6,
    ("bird", "bird"): 12,
}
IMAGE_SIZES = {"width": 20, "height": 12}


def table_json(columns: list[str], data: list[list[Any]]) -> str:
    """A table file as W&B writes it (sorted keys)."""
    document = {
        "_type": "table",
        "columns": columns,
        "data": data,
        "ncols": len(columns),
        "nrows": len(data),
        "column_types": {"params": {"type_map": {}}, "wb_type": "typedDict"},
        "log_mode": "IMMUTABLE",
    }
    return json.dumps(document, sort_keys=True)


def image_cell(path: str, png: bytes) -> dict[str, Any]:
    return {
        "_type": "image-file",
        "format": "png",
        "path": path,
        "sha256": hashlib.sha256(png).hexdigest(),
        "size": len(png),
        **IMAGE_SIZES,
    }


def prediction_rows(images: list[dict[str, Any]]) -> list[list[Any]]:
    """id, image, label, score (0.00 .. 0.99 scattered), meta (a nested value)."""
    return [
        [
            i,
            images[i % len(images)],
            CLASSES[i % len(CLASSES)],
            round((i * 37 % PRED_ROWS) / PRED_ROWS, 4),
            {"fold": i % 5, "tags": ["a", "b"][: i % 3]},
        ]
        for i in range(PRED_ROWS)
    ]


def chart_config(key: str, spec: str, fields: dict[str, str], title: str) -> dict[str, Any]:
    """``config["_wandb"]["visualize"][key]`` as ``wandb.plot_table`` records it."""
    query = {
        "queryFields": [
            {
                "name": "runSets",
                "args": [{"name": "runSets", "value": "${runSets}"}],
                "fields": [
                    {"name": "id", "fields": []},
                    {
                        "name": "summaryTable",
                        "args": [{"name": "tableKey", "value": f"{key}_table"}],
                        "fields": [],
                    },
                ],
            }
        ]
    }
    return {
        "panel_type": "Vega2",
        "panel_config": {
            "panelDefId": spec,
            "fieldSettings": fields,
            "stringSettings": {"title": title},
            "transform": {"name": "tableWithLeafColNames"},
            "userQuery": query,
        },
    }


CHARTS = {
    "confusion": (
        "wandb/confusion_matrix/v1",
        {"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "nPredictions"},
        "Confusion",
    ),
    "loss": ("wandb/line/v0", {"x": "step", "y": "loss"}, "Loss by step"),
    "roc": ("wandb/area-under-curve/v0", {"x": "fpr", "y": "tpr", "class": "class"}, "ROC"),
}
MISSING_CHART = "lost"
"""A chart the run's config records whose table the run never logged."""


def chart_tables() -> dict[str, str]:
    """The ``<key>_table.table.json`` files of the charts in :data:`CHARTS`."""
    confusion = [[a, p, n] for (a, p), n in CONFUSION.items()]
    loss = [[step, round(1.0 / (step + 1), 4)] for step in range(40)]
    roc = [
        [c, i / 10, min(1.0, (i / 10) ** (0.3 + k * 0.2))]
        for k, c in enumerate(CLASSES[:2])
        for i in range(11)
    ]
    return {
        "confusion_table.table.json": table_json(["Actual", "Predicted", "nPredictions"], confusion),
        "loss_table.table.json": table_json(["step", "loss"], loss),
        "roc_table.table.json": table_json(["class", "fpr", "tpr"], roc),
    }


def write_prediction_files(folder: Path, pngs: list[bytes]) -> None:
    """The ``predictions`` artifact's files: preds, a joined and a partitioned table, images."""
    images = []
    for i, png in enumerate(pngs):
        path = f"media/images/{hashlib.sha256(png).hexdigest()[:20]}/sample-{i}.png"
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(png)
        images.append(image_cell(path, png))
    rows = prediction_rows(images)
    (folder / "preds.table.json").write_text(table_json(["id", "image", "label", "score", "meta"], rows))
    (folder / "labels.table.json").write_text(
        table_json(["id", "truth"], [[i, CLASSES[i % 3]] for i in range(10)])
    )
    joined = {
        "_type": "joined-table",
        "join_key": "id",
        "table1": "preds.table.json",
        "table2": "labels.table.json",
    }
    (folder / "both.joined-table.json").write_text(json.dumps(joined, sort_keys=True))
    (folder / "broken.table.json").write_text('{"_type": "table", "columns": ["a", "b"], "data": [[1]]}')
    (folder / "parts").mkdir()
    for part in range(2):
        data = [[part * 5 + i, f"row {part * 5 + i}"] for i in range(5)]
        (folder / "parts" / f"part-{part}.table.json").write_text(table_json(["id", "text"], data))
    (folder / "split.partitioned-table.json").write_text(
        json.dumps({"_type": "partitioned-table", "parts_path": "parts"}, sort_keys=True)
    )


def big_table() -> str:
    """200,000 rows: id, a score that goes down as the id goes up, and a label."""
    rows = [[i, (BIG_ROWS - i) / BIG_ROWS, f"label-{i % 7}"] for i in range(BIG_ROWS)]
    return table_json(["id", "score", "label"], rows)


def log_table_artifacts(work: Path, png_bytes: Any) -> str:
    """Log, through the SDK, ``predictions:v0``, ``big-table:v0`` and a run whose config holds
    three charts and whose ``run_table`` artifact holds their tables; returns that run's id."""
    import archivist

    pngs = [
        png_bytes(IMAGE_SIZES["width"], IMAGE_SIZES["height"], (20 * i, 200 - 10 * i, 90))
        for i in range(IMAGE_COUNT)
    ]
    folder = work / "predictions"
    folder.mkdir()
    write_prediction_files(folder, pngs)
    big = work / "big"
    big.mkdir()
    (big / "big.table.json").write_text(big_table())
    charts = {key: chart_config(key, spec, fields, title) for key, (spec, fields, title) in CHARTS.items()}
    charts[MISSING_CHART] = chart_config(
        MISSING_CHART, "wandb/bar/v0", {"label": "a", "value": "b"}, "Missing"
    )
    with archivist.init(
        project=TABLES_PROJECT, job_type="eval", name="evaluate", config={"_wandb": {"visualize": charts}}
    ) as run:
        predictions = archivist.Artifact("predictions", type="dataset")
        predictions.add_dir(str(folder))
        run.log_artifact(predictions).wait()
        large = archivist.Artifact("big-table", type="dataset")
        large.add_dir(str(big))
        run.log_artifact(large).wait()
        chart_files = work / "chart-tables"
        chart_files.mkdir()
        for name, text in chart_tables().items():
            (chart_files / name).write_text(text)
        tables = archivist.Artifact("eval-charts", type="run_table")
        tables.add_dir(str(chart_files))
        run.log_artifact(tables).wait()
        return run.id
