"""``archivist artifact ls``: one row per collection with its latest version.

Rows are collected from the Backend and rendered as a rich table in a terminal
or as plain aligned columns when the output is piped (easy to grep and cut).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError
from archivist.core.paths import LATEST
from archivist.core.sizes import format_size

HEADERS = ("TYPE", "UPDATED", "SIZE", "NAME")
NO_VERSIONS = "(no versions)"


@dataclass(frozen=True)
class ListingRow:
    type: str
    updated: str
    size: str
    name: str  # 'name:vN', or 'name (no versions)'

    def cells(self) -> tuple[str, str, str, str]:
        return (self.type, self.updated, self.size, self.name)


def format_time(timestamp: str) -> str:
    """An ISO-8601 UTC timestamp in the local time zone, to the second."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def listing_rows(
    backend: Backend, entity: str, project: str, type_name: str | None = None
) -> list[ListingRow]:
    """Every collection of the project (of one type if given), sorted by type then name."""
    rows = []
    collections = backend.list_collections(entity, project, type_name)
    for collection in sorted(collections, key=lambda c: (c.type, c.name)):
        try:
            latest = backend.resolve_version(entity, project, collection.name, LATEST)
        except ArtifactNotFoundError:
            rows.append(
                ListingRow(
                    collection.type,
                    format_time(collection.updated_at),
                    "-",
                    f"{collection.name} {NO_VERSIONS}",
                )
            )
            continue
        rows.append(
            ListingRow(
                type=collection.type,
                updated=format_time(latest.updated_at),
                size=format_size(latest.size),
                name=f"{collection.name}:{latest.version}",
            )
        )
    return rows


def empty_message(entity: str, project: str, type_name: str | None) -> str:
    kind = f"artifacts of type {type_name!r}" if type_name else "artifacts"
    return f"No {kind} in project {entity}/{project}."


def plain_lines(rows: list[ListingRow]) -> list[str]:
    """Columns padded to their widest cell; the size column is right-aligned."""
    table = [HEADERS, *(row.cells() for row in rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(HEADERS))]
    lines = []
    for type_, updated, size, name in table:
        cells = (type_.ljust(widths[0]), updated.ljust(widths[1]), size.rjust(widths[2]), name)
        lines.append("  ".join(cells))
    return lines


def render_rows(rows: list[ListingRow], title: str, console: Console) -> None:
    if not console.is_terminal:
        for line in plain_lines(rows):
            console.print(line, markup=False, soft_wrap=True)
        return
    table = Table(title=title, title_justify="left")
    for header in HEADERS:
        table.add_column(header.title(), justify="right" if header == "SIZE" else "left")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row.cells()))
    console.print(table)
