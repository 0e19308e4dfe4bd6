"""The demo's data and model, in pure Python: a synthetic regression dataset
spread over a few hundred small CSV files, z-score normalisation, and a linear
model fitted by gradient descent.

Everything is deterministic (fixed seed, fixed float formatting), so running
the demo twice produces byte-identical files, which the store deduplicates.
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

SEED = 1729
RAW_FILES = 240
ROWS_PER_FILE = 25
TRUE_WEIGHTS = (3.0, -2.0)
TRUE_BIAS = 5.0
NOISE = 4.0
FEATURES = ("x1", "x2")
TEST_EVERY = 5
"""Every 5th row goes to the test split."""

Row = tuple[float, float, float]  # x1, x2, y


def _format(value: float) -> str:
    return f"{value:.6f}"


def write_rows(path: str, rows: Sequence[Row]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*FEATURES, "y"])
        writer.writerows([_format(v) for v in row] for row in rows)


def read_rows(path: str) -> list[Row]:
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)  # header
        return [(float(a), float(b), float(c)) for a, b, c in reader]


def read_csv_folder(folder: str) -> list[Row]:
    """All rows of the folder's CSV files, in file name order."""
    rows: list[Row] = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".csv"):
            rows.extend(read_rows(os.path.join(folder, name)))
    return rows


def write_json(path: str, value: object) -> None:
    with open(path, "w") as handle:
        json.dump(value, handle, indent=2, sort_keys=True)
        handle.write("\n")


def write_raw_dataset(folder: str) -> int:
    """Write RAW_FILES CSV files of sensor-like rows plus a schema; returns the row count."""
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(SEED)
    for index in range(RAW_FILES):
        rows = []
        for _ in range(ROWS_PER_FILE):
            x1, x2 = rng.uniform(0, 100), rng.uniform(-50, 50)
            y = TRUE_WEIGHTS[0] * x1 + TRUE_WEIGHTS[1] * x2 + TRUE_BIAS + rng.gauss(0, NOISE)
            rows.append((x1, x2, y))
        write_rows(os.path.join(folder, f"part-{index:03d}.csv"), rows)
    write_json(os.path.join(folder, "schema.json"), {"columns": [*FEATURES, "y"], "target": "y"})
    return RAW_FILES * ROWS_PER_FILE


@dataclass(frozen=True)
class Normalisation:
    means: tuple[float, ...]
    stds: tuple[float, ...]

    @classmethod
    def of(cls, rows: Sequence[Row]) -> Normalisation:
        count = len(rows)
        means = tuple(sum(row[i] for row in rows) / count for i in range(len(FEATURES)))
        stds = tuple(
            (sum((row[i] - means[i]) ** 2 for row in rows) / count) ** 0.5 or 1.0
            for i in range(len(FEATURES))
        )
        return cls(means, stds)

    def apply(self, rows: Sequence[Row]) -> list[Row]:
        (m1, m2), (s1, s2) = self.means, self.stds
        return [((x1 - m1) / s1, (x2 - m2) / s2, y) for x1, x2, y in rows]

    def to_json(self) -> dict[str, list[float]]:
        return {"means": [round(m, 6) for m in self.means], "stds": [round(s, 6) for s in self.stds]}


def split(rows: Sequence[Row]) -> tuple[list[Row], list[Row]]:
    """(train, test): every TEST_EVERY-th row is held out."""
    train = [row for i, row in enumerate(rows) if i % TEST_EVERY]
    test = [row for i, row in enumerate(rows) if not i % TEST_EVERY]
    return train, test


@dataclass(frozen=True)
class LinearModel:
    weights: tuple[float, float]
    bias: float

    def predict(self, x1: float, x2: float) -> float:
        return self.weights[0] * x1 + self.weights[1] * x2 + self.bias

    def to_json(self) -> dict[str, object]:
        return {"weights": [round(w, 6) for w in self.weights], "bias": round(self.bias, 6)}


def mean_squared_error(model: LinearModel, rows: Sequence[Row]) -> float:
    return sum((model.predict(x1, x2) - y) ** 2 for x1, x2, y in rows) / len(rows)


def r_squared(model: LinearModel, rows: Sequence[Row]) -> float:
    mean_y = sum(row[2] for row in rows) / len(rows)
    total = sum((row[2] - mean_y) ** 2 for row in rows) / len(rows)
    return 1.0 - mean_squared_error(model, rows) / total


def fit_linear(
    rows: Sequence[Row],
    epochs: int = 60,
    learning_rate: float = 0.1,
    on_epoch: Callable[[int, float], None] | None = None,
) -> LinearModel:
    """Full-batch gradient descent on the mean squared error; reports the loss per epoch."""
    model = LinearModel((0.0, 0.0), 0.0)
    count = len(rows)
    for epoch in range(epochs):
        g1 = g2 = gb = 0.0
        for x1, x2, y in rows:
            error = model.predict(x1, x2) - y
            g1 += error * x1
            g2 += error * x2
            gb += error
        step = 2 * learning_rate / count
        model = LinearModel(
            (model.weights[0] - step * g1, model.weights[1] - step * g2), model.bias - step * gb
        )
        if on_epoch is not None:
            on_epoch(epoch, mean_squared_error(model, rows))
    return model
