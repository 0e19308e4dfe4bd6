"""W&B's table files, read from their JSON (pure: the caller brings the bytes).

An artifact entry ``<name>.table.json`` holds one table::

    {"_type": "table", "columns": ["id", "image", "score"],
     "data": [[0, {"_type": "image-file", "path": "media/images/ab12/0.png", ...}, 0.5], ...],
     "ncols": 3, "nrows": 1, "column_types": {...}, "log_mode": "IMMUTABLE"}

A media cell is a descriptor whose ``path`` names another entry of the same artifact
(``image-file``, ``audio-file``, ``video-file``, ``html-file``, ``object3D-file``, ...).
``<name>.joined-table.json`` (``{"_type": "joined-table", "table1": ..., "table2": ...,
"join_key": ...}``) and ``<name>.partitioned-table.json`` (``{"_type": "partitioned-table",
"parts_path": "<folder>"}``) point at other table entries instead of holding rows.
"""

from __future__ import annotations

import json
import math
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from archivist.core.errors import InvalidInputError

TABLE_SUFFIX = ".table.json"
JOINED_SUFFIX = ".joined-table.json"
PARTITIONED_SUFFIX = ".partitioned-table.json"
TABLE_KINDS = {TABLE_SUFFIX: "table", JOINED_SUFFIX: "joined-table", PARTITIONED_SUFFIX: "partitioned-table"}
"""File suffix -> the ``_type`` its JSON carries."""
MEDIA_TYPES = ("image-file", "audio-file", "video-file", "html-file", "object3D-file", "molecule-file")


@dataclass(frozen=True)
class TableData:
    """A table's columns and rows as the file holds them (cells are plain JSON values)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    column_types: Mapping[str, Any]
    log_mode: str = "IMMUTABLE"

    def column_index(self, column: str) -> int:
        """The index of ``column``; InvalidInputError naming the columns there are otherwise."""
        try:
            return self.columns.index(column)
        except ValueError:
            raise InvalidInputError(
                f"no column {column!r} in this table; its columns are {', '.join(map(repr, self.columns))}"
            ) from None


@dataclass(frozen=True)
class JoinedTableRef:
    """Two table entries of the artifact joined on a key."""

    table1: str
    table2: str
    join_key: str


@dataclass(frozen=True)
class PartitionedTableRef:
    """A folder of the artifact whose table entries are the parts of one table."""

    parts_path: str


def table_kind(path: str) -> str | None:
    """``table``, ``joined-table`` or ``partitioned-table`` for a table file's path, else None."""
    name = posixpath.basename(path)
    for suffix, kind in TABLE_KINDS.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            return kind
    return None


def _document(data: bytes | str, expected: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"the {expected} file is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise InvalidInputError(f"the {expected} file holds a {type(document).__name__}, not a JSON object")
    found = document.get("_type", expected)
    if found != expected:
        raise InvalidInputError(f"the file's _type is {found!r}; a {expected} file has _type {expected!r}")
    return document


def parse_table(data: bytes | str) -> TableData:
    """The table in a ``.table.json`` file; InvalidInputError saying what is wrong with a bad one."""
    document = _document(data, "table")
    columns = document.get("columns")
    if not isinstance(columns, list):
        raise InvalidInputError("the table file has no 'columns' list")
    names = tuple(str(column) for column in columns)
    raw_rows = document.get("data", [])
    if not isinstance(raw_rows, list):
        raise InvalidInputError("the table file's 'data' is not a list of rows")
    rows = []
    for number, row in enumerate(raw_rows):
        if not isinstance(row, list):
            raise InvalidInputError(f"row {number} of the table is a {type(row).__name__}, not a list")
        if len(row) != len(names):
            raise InvalidInputError(
                f"row {number} of the table has {len(row)} cells; the table has {len(names)} columns"
            )
        rows.append(tuple(row))
    column_types = document.get("column_types")
    return TableData(
        columns=names,
        rows=tuple(rows),
        column_types=column_types if isinstance(column_types, dict) else {},
        log_mode=str(document.get("log_mode", "IMMUTABLE")),
    )


def parse_joined_table(data: bytes | str) -> JoinedTableRef:
    document = _document(data, "joined-table")
    table1, table2, key = document.get("table1"), document.get("table2"), document.get("join_key")
    if not isinstance(table1, str) or not isinstance(table2, str):
        raise InvalidInputError("the joined-table file needs 'table1' and 'table2' entry names")
    return JoinedTableRef(table1, table2, key if isinstance(key, str) else json.dumps(key))


def parse_partitioned_table(data: bytes | str) -> PartitionedTableRef:
    document = _document(data, "partitioned-table")
    parts = document.get("parts_path")
    if not isinstance(parts, str):
        raise InvalidInputError("the partitioned-table file needs a 'parts_path' folder name")
    return PartitionedTableRef(parts.strip("/"))


def is_number(value: object) -> bool:
    """An int or float cell (booleans are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: object) -> bool:
    return is_number(value) and math.isfinite(value)  # type: ignore[arg-type]


def media_path(cell: object) -> str | None:
    """The artifact entry a media cell names (``{"_type": "image-file", "path": ...}``), else None."""
    if isinstance(cell, Mapping) and cell.get("_type") in MEDIA_TYPES and isinstance(cell.get("path"), str):
        return str(cell["path"])
    return None


def cell_text(value: object) -> str:
    """A cell as one line of text: strings as they are, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
