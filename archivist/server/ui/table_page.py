"""The file view of a table file: the table viewer for ``.table.json``, the list of
parts for joined and partitioned tables."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import Entry
from archivist.core.models import VersionRecord
from archivist.core.table_query import RowQuery
from archivist.server.ui.previews import build_preview
from archivist.server.ui.state import Page, UiState
from archivist.server.ui.table_view import joined_parts, partitioned_parts, table_view


def table_page(
    ui: UiState,
    page: Page,
    version: VersionRecord,
    entry: Entry,
    kind: str,
    query: RowQuery,
    page_number: int,
    trail: list[tuple[str, str]],
) -> Response:
    """``kind`` is the file's table kind (``archivist.core.table_json.table_kind``)."""
    context: dict[str, Any] = {
        "version": version,
        "tab": "files",
        "entry": entry,
        "trail": trail,
        "kind": kind,
    }
    if kind == "table":
        try:
            table = ui.tables.table(page.backend, entry)
        except InvalidInputError as error:  # not a table after all: show the file as any other
            preview = build_preview(page.backend, entry)
            return ui.render(
                page.request, "file.html", preview=preview, table_problem=error.message, **context
            )
        view = table_view(ui.tables, page.backend, version, entry, table, query, page_number)
        return ui.render(page.request, "table.html", view=view, **context)
    if kind == "joined-table":
        parts, key = joined_parts(ui.tables, ui.manifests, page.backend, version, entry)
        return ui.render(page.request, "table_parts.html", parts=parts, detail=f"joined on {key}", **context)
    parts, folder = partitioned_parts(ui.tables, ui.manifests, page.backend, version, entry)
    return ui.render(page.request, "table_parts.html", parts=parts, detail=f"parts in {folder}/", **context)
