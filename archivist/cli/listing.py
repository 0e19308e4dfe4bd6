"""``archivist artifact ls``: one row per collection with its latest version and its aliases.

Rows are collected from the Backend and rendered as a rich table in a terminal, as plain
aligned columns when the output is piped, or as JSON. Times are in the local time zone,
which each time names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from rich.console import Console

from archivist.cli.table_output import render_table
from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError, NotFoundError
from archivist.core.paths import LATEST
from archivist.core.sizes import format_size

HEADERS = ("TYPE", "UPDATED", "SIZE", "NAME", "ALIASES")
NO_VERSIONS = "(no versions)"


@dataclass(frozen=True)
class ListingRow:
    type: str
    updated: str
    size: str
    name: str  # 'name:vN', or 'name (no versions)'
    aliases: tuple[str, ...] = ()
    """The latest version's aliases, ``latest`` first."""
    size_bytes: int | None = None
    updated_at: str = ""
    """ISO-8601, as the store keeps it (for ``--json``)."""

    def cells(self) -> tuple[str, str, str, str, str]:
        return (self.type, self.updated, self.size, self.name, ",".join(self.aliases) or "-")

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["size"], data["updated"]
        data["aliases"] = list(self.aliases)
        return data


def format_time(timestamp: str) -> str:
    """An ISO-8601 timestamp in the local time zone, to the second, naming the zone."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.strftime("%Z") or local.strftime("%z"))


def aliases_in_order(aliases: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``latest`` first, then the others sorted."""
    return tuple(sorted(aliases, key=lambda alias: (alias != LATEST, alias)))


def require_project(backend: Backend, entity: str, project: str) -> None:
    """``NotFoundError`` naming the entity's projects when ``project`` is not one of them."""
    known = backend.list_projects(entity)
    if project not in known:
        shown = ", ".join(known) if known else "none yet"
        raise NotFoundError(
            f"project {entity}/{project} does not exist (projects of {entity}: {shown}); "
            "'archivist project ls' lists them"
        )


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
                    updated_at=collection.updated_at,
                )
            )
            continue
        rows.append(
            ListingRow(
                type=collection.type,
                updated=format_time(latest.updated_at),
                size=format_size(latest.size),
                name=f"{collection.name}:{latest.version}",
                aliases=aliases_in_order(latest.aliases),
                size_bytes=latest.size,
                updated_at=latest.updated_at,
            )
        )
    return rows


def empty_message(entity: str, project: str, type_name: str | None) -> str:
    kind = f"artifacts of type {type_name!r}" if type_name else "artifacts"
    return f"No {kind} in project {entity}/{project}."


def render_rows(rows: list[ListingRow], title: str, console: Console) -> None:
    render_table(HEADERS, [row.cells() for row in rows], title, console, right={"SIZE"})
