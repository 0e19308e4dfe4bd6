"""What the table viewer shows of one table file of a version: a page of rows (after a
filter and a sort, done on the server), each cell as the page draws it, the charts the
run that made the version recorded for this table, and for joined or partitioned tables
the table files they are made of."""

from __future__ import annotations

import json
import math
import posixpath
from dataclasses import dataclass, field
from typing import Any

from archivist.core.chart_spec import ChartSpec, charts_in_config
from archivist.core.errors import PermissionDeniedError, RunNotFoundError
from archivist.core.manifest import Entry
from archivist.core.models import VersionRecord
from archivist.core.table_json import (
    TABLE_SUFFIX,
    TableData,
    cell_text,
    is_number,
    media_path,
    parse_joined_table,
    parse_partitioned_table,
)
from archivist.core.table_query import RowQuery
from archivist.server.ui.charts import RenderedChart, render_chart
from archivist.server.ui.manifests import ManifestCache, find_entry, folder_listing
from archivist.server.ui.paging import Paging
from archivist.server.ui.previews import image_type
from archivist.server.ui.table_files import TableCache
from archivist.server.ui.ui_backend import UiBackend

ROWS_PER_PAGE = 50
COMPACT_CHARS = 80
TITLE_CHARS = 2000
POINTER_FILE_BYTES = 64 * 1024
MAX_PARTS_SHOWN = 500
TYPE_SAMPLE_ROWS = 1000


@dataclass(frozen=True)
class Cell:
    kind: str  # number | text | bool | null | image | media | nested
    text: str
    full: str = ""
    """The whole value when ``text`` is shortened (shown as the cell's title)."""
    path: str = ""
    """The artifact entry an image or media cell names."""


@dataclass(frozen=True)
class TableRow:
    index: int
    cells: list[Cell]


@dataclass(frozen=True)
class TableView:
    columns: tuple[str, ...]
    numeric: tuple[bool, ...]
    """Per column: every non-empty cell of the first ``TYPE_SAMPLE_ROWS`` is a number (right-aligned)."""
    rows: list[TableRow]
    paging: Paging
    query: RowQuery
    total_rows: int
    matching_rows: int
    charts: list[RenderedChart] = field(default_factory=list)


@dataclass(frozen=True)
class TablePart:
    path: str
    exists: bool


def _number_text(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.6g}"


def _shortened(text: str) -> tuple[str, str]:
    if len(text) <= COMPACT_CHARS:
        return text, ""
    return text[: COMPACT_CHARS - 1] + "…", text[:TITLE_CHARS]


def cell_of(value: Any) -> Cell:
    """How one cell is drawn: numbers as numbers, media as a link (images inline), nested
    values as compact one-line JSON."""
    if value is None:
        return Cell("null", "")
    if isinstance(value, bool):
        return Cell("bool", "true" if value else "false")
    if is_number(value):
        return Cell("number", _number_text(value), full=repr(value))
    media = media_path(value)
    if media is not None:
        kind = "image" if value.get("_type") == "image-file" and image_type(media) else "media"
        return Cell(kind, str(value.get("caption") or posixpath.basename(media)), path=media)
    if isinstance(value, str):
        text, full = _shortened(value)
        return Cell("text", text, full)
    text, full = _shortened(cell_text(value))
    return Cell(
        "nested", text, full or json.dumps(value, indent=1, ensure_ascii=False, default=str)[:TITLE_CHARS]
    )


def numeric_columns(table: TableData) -> tuple[bool, ...]:
    flags = []
    for index in range(len(table.columns)):
        present = [row[index] for row in table.rows[:TYPE_SAMPLE_ROWS] if row[index] is not None]
        flags.append(bool(present) and all(is_number(cell) for cell in present))
    return tuple(flags)


def table_view(
    tables: TableCache,
    backend: UiBackend,
    version: VersionRecord,
    entry: Entry,
    table: TableData,
    query: RowQuery,
    page_number: int,
) -> TableView:
    """One page of ``table`` (stored at ``entry``) as ``query`` filters and sorts it."""
    selected = tables.selection(table, entry.digest, query)
    paging = Paging(page_number, ROWS_PER_PAGE, len(selected))
    shown = selected[paging.offset : paging.offset + paging.size]
    return TableView(
        columns=table.columns,
        numeric=numeric_columns(table),
        rows=[TableRow(i, [cell_of(cell) for cell in table.rows[i]]) for i in shown],
        paging=paging,
        query=query,
        total_rows=len(table.rows),
        matching_rows=len(selected),
        charts=[render_chart(spec, table) for spec in charts_for(backend, version, entry.path)],
    )


def charts_for(backend: UiBackend, version: VersionRecord, table_path: str) -> list[ChartSpec]:
    """The charts the run that logged ``version`` recorded for the table at ``table_path``."""
    if version.producer is None:
        return []
    try:
        run = backend.get_run(version.producer)
    except (RunNotFoundError, PermissionDeniedError):  # gone, or not readable by this user
        return []
    return [chart for chart in charts_in_config(run.config) if chart.draws(table_path)]


def _relative_entry(
    manifests: ManifestCache, backend: UiBackend, version: VersionRecord, base: str, name: str
) -> TablePart:
    """A table the pointer file names: the entry of that name, else one beside the pointer file."""
    for candidate in (name, posixpath.join(posixpath.dirname(base), name)):
        if find_entry(manifests, backend, version, candidate) is not None:
            return TablePart(candidate, True)
    return TablePart(name, False)


def joined_parts(
    tables: TableCache, manifests: ManifestCache, backend: UiBackend, version: VersionRecord, entry: Entry
) -> tuple[list[TablePart], str]:
    """The two tables a joined table joins, and its join key."""
    joined = parse_joined_table(tables.small_file(backend, entry, POINTER_FILE_BYTES))
    parts = [
        _relative_entry(manifests, backend, version, entry.path, name)
        for name in (joined.table1, joined.table2)
    ]
    return parts, joined.join_key


def partitioned_parts(
    tables: TableCache, manifests: ManifestCache, backend: UiBackend, version: VersionRecord, entry: Entry
) -> tuple[list[TablePart], str]:
    """The table files in a partitioned table's ``parts_path`` folder, and that folder."""
    pointer = parse_partitioned_table(tables.small_file(backend, entry, POINTER_FILE_BYTES))
    listing = folder_listing(manifests, backend, version, pointer.parts_path)
    if not listing.files:  # W&B may write parts_path relative to the pointer file
        beside = posixpath.join(posixpath.dirname(entry.path), pointer.parts_path)
        listing = folder_listing(manifests, backend, version, beside)
    parts = [TablePart(f.path, True) for f in listing.files if f.path.endswith(TABLE_SUFFIX)]
    return parts[:MAX_PARTS_SHOWN], pointer.parts_path
