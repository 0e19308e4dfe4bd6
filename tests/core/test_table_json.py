"""Reading W&B's table files: tables, joined and partitioned pointers, media cells."""

from __future__ import annotations

import json
import math

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.table_json import (
    cell_text,
    media_path,
    parse_joined_table,
    parse_partitioned_table,
    parse_table,
    table_kind,
)


def test_a_table_file_reads_its_columns_rows_and_types() -> None:
    document = {
        "_type": "table",
        "columns": ["a", "b"],
        "data": [[1, "x"], [2.5, None]],
        "column_types": {"wb_type": "typedDict"},
        "log_mode": "MUTABLE",
        "ncols": 2,
        "nrows": 2,
    }
    table = parse_table(json.dumps(document, sort_keys=True).encode())
    assert table.columns == ("a", "b")
    assert table.rows == ((1, "x"), (2.5, None))
    assert table.column_types == {"wb_type": "typedDict"}
    assert table.log_mode == "MUTABLE"
    assert table.column_index("b") == 1


def test_nan_and_infinity_as_python_writes_them_are_read() -> None:
    table = parse_table('{"_type": "table", "columns": ["v"], "data": [[NaN], [Infinity]]}')
    assert math.isnan(table.rows[0][0]) and table.rows[1][0] == math.inf


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[1, 2]", "holds a list, not a JSON object"),
        ('{"_type": "joined-table"}', "the file's _type is 'joined-table'; a table file has _type 'table'"),
        ('{"_type": "table"}', "no 'columns' list"),
        ('{"columns": ["a"], "data": {"x": 1}}', "'data' is not a list of rows"),
        ('{"columns": ["a"], "data": [5]}', "row 0 of the table is a int, not a list"),
        (
            '{"columns": ["a", "b"], "data": [[1, 2], [3]]}',
            "row 1 of the table has 1 cells; the table has 2 columns",
        ),
    ],
)
def test_a_bad_table_file_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_table(text)


def test_an_unknown_column_names_the_columns_there_are() -> None:
    table = parse_table('{"columns": ["id", "score"], "data": []}')
    with pytest.raises(
        InvalidInputError, match="no column 'nope' in this table; its columns are 'id', 'score'"
    ):
        table.column_index("nope")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("preds.table.json", "table"),
        ("media/tables/abc.table.json", "table"),
        ("both.joined-table.json", "joined-table"),
        ("split.partitioned-table.json", "partitioned-table"),
        (".table.json", None),
        ("preds.json", None),
        ("table.json.bak", None),
    ],
)
def test_table_kind_by_suffix(path: str, kind: str | None) -> None:
    assert table_kind(path) == kind


def test_joined_and_partitioned_pointer_files() -> None:
    joined = parse_joined_table(
        '{"_type": "joined-table", "table1": "a.table.json", "table2": "b.table.json", "join_key": "id"}'
    )
    assert (joined.table1, joined.table2, joined.join_key) == ("a.table.json", "b.table.json", "id")
    with pytest.raises(InvalidInputError, match="needs 'table1' and 'table2'"):
        parse_joined_table('{"_type": "joined-table", "table1": "a.table.json"}')
    assert (
        parse_partitioned_table('{"_type": "partitioned-table", "parts_path": "parts/"}').parts_path
        == "parts"
    )
    with pytest.raises(InvalidInputError, match="needs a 'parts_path'"):
        parse_partitioned_table('{"_type": "partitioned-table"}')


def test_media_cells_and_cell_text() -> None:
    image = {"_type": "image-file", "path": "media/images/ab/x.png", "width": 2}
    assert media_path(image) == "media/images/ab/x.png"
    assert media_path({"_type": "audio-file", "path": "media/audio/a.wav"}) == "media/audio/a.wav"
    assert media_path({"_type": "image-file"}) is None
    assert media_path({"path": "x.png"}) is None
    assert media_path("media/images/x.png") is None
    assert cell_text({"b": [1, 2], "a": None}) == '{"b":[1,2],"a":null}'
    assert cell_text("text") == "text" and cell_text(None) == "" and cell_text(1.5) == "1.5"
