"""Table in memory: construction (lists, numpy, pandas), typed columns as W&B infers
them, add_data/add_column/get_column/get_index/get_dataframe/iterrows/cast, log modes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import archivist
from archivist.core.errors import InvalidInputError
from archivist.sdk.data_types import column_types as ct


def _types(table: archivist.Table) -> dict[str, str]:
    return {k: ct.printed(v) for k, v in table.column_types["params"]["type_map"].items()}


def test_columns_are_typed_as_values_arrive() -> None:
    table = archivist.Table(columns=["n", "s", "b", "l", "none"])
    assert _types(table) == {c: "None or Unknown" for c in table.columns}
    table.add_data(1, "x", True, [1.0, 2.0], None)
    assert _types(table) == {
        "n": "None or Number",
        "s": "None or String",
        "b": "Boolean or None",
        "l": "None or Number[]",
        "none": "None or Unknown",
    }
    table.add_data(None, None, None, None, None)  # optional columns take None
    assert len(table.data) == 2


def test_a_value_of_another_kind_is_refused_naming_the_column() -> None:
    table = archivist.Table(columns=["n", "s"], data=[[1, "a"]])
    with pytest.raises(TypeError, match="column 'n'"):
        table.add_data("not a number", "b")
    assert table.data == [[1, "a"]]  # the bad row was not added
    mixed = archivist.Table(columns=["n"], data=[[1], ["two"]], allow_mixed_types=True)
    assert mixed.get_column("n") == [1, "two"]


def test_row_length_must_match_the_columns() -> None:
    table = archivist.Table(columns=["a", "b"])
    with pytest.raises(ValueError, match="expects 2 columns"):
        table.add_data(1)


def test_default_columns_and_rows_argument() -> None:
    assert archivist.Table().columns == ["Input", "Output", "Expected"]
    assert archivist.Table(columns=["a"], rows=[[1], [2]]).get_column("a") == [1, 2]


def test_from_numpy_and_from_dataframe() -> None:
    table = archivist.Table(columns=["x", "y"], data=np.array([[1, 2], [3, 4]]))
    assert table.get_column("y") == [2, 4]
    frame = pd.DataFrame({"a": [1, 2], "b": ["p", "q"]})
    from_frame = archivist.Table(dataframe=frame)
    assert from_frame.columns == ["a", "b"] and from_frame.get_column("b") == ["p", "q"]
    assert archivist.Table(data=frame).columns == ["a", "b"]  # data= takes a DataFrame too
    back = from_frame.get_dataframe()
    assert isinstance(back, pd.DataFrame)
    assert back.to_dict("list") == {"a": [1, 2], "b": ["p", "q"]}


def test_add_column_get_column_and_numpy() -> None:
    table = archivist.Table(columns=["a"], data=[[1], [2], [3]])
    table.add_column("b", [0.5, 1.5, 2.5])
    assert table.columns == ["a", "b"] and table.data[1] == [2, 1.5]
    column = table.get_column("b", convert_to="numpy")
    assert isinstance(column, np.ndarray) and column.tolist() == [0.5, 1.5, 2.5]
    with pytest.raises(InvalidInputError, match="has 2 values; the table has 3 rows"):
        table.add_column("c", [1, 2])
    with pytest.raises(TypeError):
        table.add_column("mixed", [1, "x", 2])
    assert table.columns == ["a", "b"] and all(len(r) == 2 for r in table.data)  # rolled back
    with pytest.raises(InvalidInputError, match="'nope' is not in this table"):
        table.get_column("nope")
    empty = archivist.Table(columns=[])
    empty.add_column("first", [1, 2])
    assert empty.data == [[1], [2]]


def test_get_index_and_iterrows() -> None:
    table = archivist.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])
    index = table.get_index()
    assert index == [0, 1] and index[1].get_row() == {"a": 2, "b": "y"}
    rows = list(table.iterrows())
    assert [(int(i), r) for i, r in rows] == [(0, [1, "x"]), (1, [2, "y"])]


def test_cast_checks_existing_values() -> None:
    table = archivist.Table(columns=["a", "b"], data=[[1, "x"]])
    table.cast("a", float)
    assert _types(table)["a"] == "Number"
    with pytest.raises(TypeError, match="cannot be cast"):
        table.cast("b", int)
    table.cast("b", str, optional=True)
    table.add_data(2, None)
    with pytest.raises(TypeError):
        table.add_data(None, "z")  # 'a' was cast without optional
    image_column = archivist.Table(columns=["img"])
    image_column.cast("img", archivist.Image)
    assert image_column.column_types["params"]["type_map"]["img"]["wb_type"] == "image-file"


def test_dtype_per_column_and_optional() -> None:
    table = archivist.Table(columns=["a", "b"], dtype=[int, str], optional=[False, True])
    assert _types(table) == {"a": "Number", "b": "None or String"}
    with pytest.raises(TypeError):
        table.add_data(None, "x")


def test_log_mode_is_checked() -> None:
    for mode in ("IMMUTABLE", "MUTABLE", "INCREMENTAL"):
        assert archivist.Table(columns=["a"], log_mode=mode).log_mode == mode
    with pytest.raises(InvalidInputError, match="invalid log_mode 'SOMETIMES'"):
        archivist.Table(columns=["a"], log_mode="SOMETIMES")


def test_timestamps_and_numpy_scalars_are_typed() -> None:
    table = archivist.Table(columns=["t", "n", "f"])
    table.add_data(dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc), np.int64(3), np.float32(0.5))
    table.add_data(None, float("nan"), None)  # NaN counts as missing, as in W&B
    assert _types(table) == {"t": "None or Timestamp", "n": "None or Number", "f": "None or Number"}


def test_equality() -> None:
    a = archivist.Table(columns=["a"], data=[[1]])
    assert a == archivist.Table(columns=["a"], data=[[1]])
    assert a != archivist.Table(columns=["a"], data=[[2]])
    assert a != archivist.Table(columns=["b"], data=[[1]])


def test_add_computed_columns() -> None:
    table = archivist.Table(columns=["x", "y"], data=[[3, 1], [4, 6]])
    table.add_computed_columns(lambda index, row: {"diff": row["x"] - row["y"], "n": int(index)})
    assert table.columns == ["x", "y", "diff", "n"] and table.data == [[3, 1, 2, 0], [4, 6, -2, 1]]
    incremental = archivist.Table(columns=["x"], log_mode="INCREMENTAL")
    with pytest.raises(InvalidInputError, match="not supported for tables with log_mode='INCREMENTAL'"):
        incremental.add_computed_columns(lambda index, row: {})


def test_a_column_of_row_indexes_is_a_foreign_index_into_that_table() -> None:
    raw = archivist.Table(columns=["id", "name"], data=[[1, "a"], [2, "b"], [3, "c"]])
    other = archivist.Table(columns=["id"], data=[[9]])
    split = archivist.Table(columns=["source"])
    split.add_data(raw.get_index()[2])
    split.add_data(0)  # a plain row number joins the column as an index into the same table
    assert split._column_types.params["type_map"]["source"]["wb_type"] == "foreignIndex"
    assert [i.get_row() for i in split.get_column("source")] == [
        {"id": 3, "name": "c"},
        {"id": 1, "name": "a"},
    ]
    with pytest.raises(TypeError):
        split.add_data("not an index")
    with pytest.raises(TypeError):  # an index into another table does not fit the column
        archivist.Table(columns=["source"], data=[[raw.get_index()[0]]]).add_data(other.get_index()[0])
