"""W&B's lenient values (json_friendly) and their standard JSON text (dumps)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
from pathlib import Path

import numpy as np
import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.json_values import dumps, json_friendly, json_key


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Optimizer:
    name: str
    lr: float


class Model:
    def __str__(self) -> str:
        return "Model(layers=3)"


def train() -> None:
    return None


def test_numpy_values_become_python_numbers_and_lists() -> None:
    value = {
        "f32": np.float32(0.5),
        "i64": np.int64(7),
        "flag": np.bool_(True),
        "matrix": np.arange(6).reshape(2, 3),
        "one": np.array([2.5]),  # W&B keeps a one-element array as its element
    }
    friendly = json_friendly(value)
    assert friendly == {"f32": 0.5, "i64": 7, "flag": True, "matrix": [[0, 1, 2], [3, 4, 5]], "one": 2.5}
    assert type(friendly["i64"]) is int and type(friendly["flag"]) is bool


def test_objects_are_stored_as_w_and_b_stores_them() -> None:
    friendly = json_friendly(
        {
            "path": Path("/data/train"),
            "color": Color.RED,
            "model": Model(),
            "optimizer": Optimizer("adam", 0.1),
            "fn": train,
            "cls": Model,
            "window": slice(1, 10, 2),
            "raw": b"bytes",
            "when": dt.datetime(2024, 5, 1, 12, 30),
            "labels": {"b", "a"},
        }
    )
    assert friendly == {
        "path": "/data/train",
        "color": "Color.RED",
        "model": "Model(layers=3)",
        "optimizer": {"name": "adam", "lr": 0.1},
        "fn": f"{__name__}.train",
        "cls": f"{__name__}.Model",
        "window": {"slice_start": 1, "slice_step": 2, "slice_stop": 10},
        "raw": "bytes",
        "when": "2024-05-01T12:30:00",
        "labels": ["a", "b"],
    }


def test_keys_become_what_json_makes_of_them() -> None:
    friendly = json_friendly({1: "a", 2.5: "b", None: "d", np.int64(3): "e", Color.RED: "f"})
    assert friendly == {"1": "a", "2.5": "b", "null": "d", "3": "e", "Color.RED": "f"}
    assert json_friendly({True: "c"}) == {"true": "c"}
    assert json_key("k") == "k"


def test_nan_becomes_none_and_infinity_stays() -> None:
    assert json_friendly({"a": math.nan, "b": np.float64("nan"), "c": math.inf, "d": np.float32("-inf")}) == {
        "a": None,
        "b": None,
        "c": math.inf,
        "d": -math.inf,
    }


def test_a_value_that_contains_itself_is_refused_by_name() -> None:
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(InvalidInputError, match=r"metadata 'x'.*contains itself"):
        json_friendly({"x": looped}, "metadata 'x'")


def test_dumps_writes_standard_json_that_reads_back_infinity() -> None:
    value = {"best": math.inf, "worst": [-math.inf, 1.0], "note": "Infinity", "nan": math.nan}
    text = dumps(value, separators=(",", ":"))
    assert text == '{"best":9e999,"worst":[-9e999,1.0],"note":"Infinity","nan":null}'
    assert json.loads(text) == {"best": math.inf, "worst": [-math.inf, 1.0], "note": "Infinity", "nan": None}
    assert dumps({"a": 1}) == json.dumps({"a": 1})  # finite values: exactly json.dumps
