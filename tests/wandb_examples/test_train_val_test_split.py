"""wandb/examples ``colabs/wandb-artifacts/train_val_test_split_with_tabular_data.ipynb``, converted.

Load a CSV row by row into a ``wandb.Table`` (missing cells as NaN) and log it as
``data-library``; split it into ``data-splits``, three tables of one column that hold only
*pointers* into the raw table (``table.get_index()``); log the preprocessing steps as
``data-transforms`` (``new_file`` + metadata); then build the data loaders: read the
splits back with ``artifact.get`` and dereference each pointer with ``get_row()``, after
checking the column type as the notebook does (``_column_types.params['type_map']`` holding
``wandb.data_types._ForeignIndexType``). The hospital CSV is generated (40 patients, 8
columns); PyTorch's ``Dataset``/``DataLoader`` become a list of numpy rows.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections import OrderedDict

import numpy as np
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

PROJECT_NAME = "splitting-tabular-data"
DEVICE = "cpu"
DATA_TYPES = [int, int, int, float, float, int, float, int]  # ID, AGE, SEX, ..., LET_IS
HEADINGS = ["ID", "AGE", "SEX", "S_AD_KBRIG", "K_BLOOD", "IBS_POST", "ROE", "LET_IS"]


def _csv_lines(rng: np.random.Generator, n: int) -> list[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    for i in range(n):
        row: list[object] = [
            i + 1,
            int(rng.integers(26, 92)),
            int(rng.integers(0, 2)),
            round(float(rng.uniform(0, 260)), 1),
            round(float(rng.uniform(2.3, 8.2)), 2),
            int(rng.integers(0, 3)),
            round(float(rng.uniform(1, 140)), 1),
            int(rng.integers(0, 8)),
        ]
        for missing in rng.choice(np.arange(3, 7), size=int(rng.integers(0, 3)), replace=False):
            row[int(missing)] = ""  # missing data, as in the real dataset
        writer.writerow(row)
    return out.getvalue().splitlines()


def make_split_artifact(run, raw_data_table, train_rows, val_rows, test_rows) -> None:
    split_artifact = wandb.Artifact(
        "data-splits", type="dataset", description="Train, validation, test dataset splits"
    )
    data_table_pointer = raw_data_table.get_index()
    split_artifact.add(
        wandb.Table(columns=["source"], data=[[data_table_pointer[i]] for i in train_rows]), "train-data"
    )
    split_artifact.add(
        wandb.Table(columns=["source"], data=[[data_table_pointer[i]] for i in val_rows]), "val-data"
    )
    split_artifact.add(
        wandb.Table(columns=["source"], data=[[data_table_pointer[i]] for i in test_rows]), "test-data"
    )
    run.log_artifact(split_artifact)


def get_table_row(table, ndx):
    linked_table = np.all(
        [
            type(value) is wandb.data_types._ForeignIndexType
            for value in table._column_types.params["type_map"].values()
        ]
    )
    if linked_table:
        ref_table = table.get_column(table.columns[0])
        if type(ndx) is list:
            return [list(ref_table[i].get_row().values()) for i in ndx]
        return list(ref_table[ndx].get_row().values())
    return table.data[ndx]


class MyocardialInfarctionDataset:
    """The notebook's torch ``Dataset``, as plain Python."""

    def __init__(self, table, data_columns, label_columns, transform=None):
        self.table, self.data_columns, self.label_columns, self.transform = (
            table,
            data_columns,
            label_columns,
            transform,
        )

    def __len__(self) -> int:
        return len(self.table.data)

    def __getitem__(self, idx):
        row = np.array(get_table_row(self.table, idx), dtype=np.float32)
        data_row, label_row = row.take(self.data_columns), row.take(self.label_columns)
        if self.transform:
            data_row, label_row = self.transform((data_row, label_row))
        return data_row, label_row


def get_transforms(transform_dict):
    steps = []
    for key in transform_dict:
        if key == "NoneToVal":
            fill = transform_dict[key]["value"]
            steps.append(lambda t, fill=fill: (np.ma.masked_invalid(t[0]).filled(fill_value=fill), t[1]))
        elif key == "OneHot":
            n = int(transform_dict[key]["num_classes"])
            steps.append(lambda t, n=n: (t[0], np.eye(n, dtype=np.float32)[t[1].astype(int)].squeeze()))

    def composed(data_tuple):
        for step in steps:
            data_tuple = step(data_tuple)
        return data_tuple

    return composed


def make_loaders(config):
    with wandb.init(project=PROJECT_NAME, job_type="package-data", config=config) as run:
        transform_dir = run.use_artifact("data-transforms:latest").download()
        with open(os.path.join(transform_dir, "transforms.txt")) as f:
            transform_dict = json.load(f, object_pairs_hook=OrderedDict)
        composed_transforms = get_transforms(transform_dict)
        split_artifact = run.use_artifact("data-splits:latest")
        return [
            MyocardialInfarctionDataset(
                split_artifact.get(name), config["data_columns"], config["label_columns"], composed_transforms
            )
            for name in ("train-data", "val-data", "test-data")
        ]


def test_train_val_test_split_notebook() -> None:
    rng = np.random.default_rng(0)
    np.random.seed(0)
    lines = iter(_csv_lines(rng, 40))

    # Load the raw dataset into a table and store it as an artifact
    with wandb.init(project=PROJECT_NAME, job_type="load-data") as run:
        column_headings = next(csv.reader(lines))
        data_table = wandb.Table(columns=column_headings)
        for row in csv.reader(lines):
            row = [DATA_TYPES[i](entry) if entry != "" else np.nan for i, entry in enumerate(row)]
            if len(row) == len(column_headings):
                data_table.add_data(*row)
        dataset_artifact = wandb.Artifact(
            "data-library",
            type="dataset",
            description="Table containing the CSV dataset",
            metadata={"filename": "MyocardialinfarctioncomplicationsDatabase.csv", "filesize": "3 kB"},
        )
        dataset_artifact.add(data_table, "data-table")
        run.log_artifact(dataset_artifact)

    # Split into train/val/test tables of pointers
    config = {
        "train_val_test_split": [0.80, 0.10, 0.10],
        "data_columns": [i for i in range(1, 7)],
        "label_columns": [7],
        "num_classes": 8,
        "batch_size": 4,
    }
    with wandb.init(project=PROJECT_NAME, job_type="split-data", config=config) as run:
        raw_data_table = run.use_artifact("data-library:latest").get("data-table")
        num_samples = len(raw_data_table.data)
        shuffled_rows = np.random.choice(np.arange(num_samples), num_samples, replace=False)
        train_rows, val_rows, test_rows = np.split(
            shuffled_rows,
            np.cumsum([num_samples * s for s in config["train_val_test_split"][:-1]], dtype=int),
        )
        make_split_artifact(run, raw_data_table, train_rows, val_rows, test_rows)
    assert num_samples == 40
    assert (len(train_rows), len(val_rows), len(test_rows)) == (32, 4, 4)
    assert not set(train_rows) & set(val_rows) and not set(val_rows) & set(test_rows)

    # Log the preprocessing steps, then package the data
    with wandb.init(project=PROJECT_NAME, job_type="define-transforms", config=config) as run:
        transform_dict: OrderedDict = OrderedDict()
        transform_dict["NoneToVal"] = {"value": 0}
        transform_dict["ToTensor"] = {"device": DEVICE}
        transform_dict["OneHot"] = {"num_classes": config["num_classes"]}
        for key_idx, key in enumerate(transform_dict.keys()):
            transform_dict[key]["order"] = key_idx
        data_transform_artifact = wandb.Artifact(
            "data-transforms",
            type="parameters",
            description="Data preprocessing functions and parameters.",
            metadata=transform_dict,
        )
        with data_transform_artifact.new_file("transforms.txt") as f:
            f.write(json.dumps(transform_dict, indent=4))
        run.log_artifact(data_transform_artifact)
    config.update(transform_dict)
    train_set, val_set, test_set = make_loaders(config)

    # What the notebook's loaders hold: rows of the raw table, in the split's order
    assert (len(train_set), len(val_set), len(test_set)) == (32, 4, 4)
    raw_rows = {int(r[0]): r for r in raw_data_table.data}
    for dataset, rows in ((train_set, train_rows), (test_set, test_rows)):
        for position, raw_index in enumerate(rows):
            source = raw_data_table.data[raw_index]
            assert get_table_row(dataset.table, position) == source
            data_row, label_row = dataset[position]
            assert data_row.shape == (6,) and label_row.shape == (8,)
            assert label_row[int(source[7])] == 1.0
            expected = [0.0 if v is None else float(v) for v in source[1:7]]  # NoneToVal
            assert np.allclose(data_row, expected)
    assert get_table_row(val_set.table, [0, 1]) == [raw_data_table.data[i] for i in val_rows[:2]]
    # missing cells (NaN when added) read back as None, as W&B writes them
    assert any(v is None for r in raw_rows.values() for v in r)
    assert not any(isinstance(v, float) and math.isnan(v) for r in raw_rows.values() for v in r)

    api = wandb.Api()
    splits = api.artifact(f"{PROJECT_NAME}/data-splits:latest")
    names = sorted(f.name for f in splits.files())
    # the three splits, and the raw table they index: one entry, a reference to data-library's
    assert names[1:] == ["test-data.table.json", "train-data.table.json", "val-data.table.json"]
    assert names[0].startswith("media/tables/t_") and names[0].endswith(".table.json")
    assert splits.manifest.entries[names[0]].ref.startswith("wandb-artifact://")
    with open(splits.get_entry("train-data.table.json").download()) as f:
        stored = json.load(f)
    assert stored["column_types"]["params"]["type_map"]["source"] == {
        "wb_type": "foreignIndex",
        "params": {"table": names[0]},
    }
    assert [row[0] for row in stored["data"]] == [int(i) for i in train_rows]
    transforms = api.artifact(f"{PROJECT_NAME}/data-transforms:latest")
    assert transforms.metadata == {
        "NoneToVal": {"value": 0, "order": 0},
        "ToTensor": {"device": "cpu", "order": 1},
        "OneHot": {"num_classes": 8, "order": 2},
    }
    package_run = api.artifact(f"{PROJECT_NAME}/data-splits:latest").used_by()[0]
    assert package_run.job_type == "package-data"
    assert package_run.config["OneHot"] == {"num_classes": 8, "order": 2}
