"""``archivist artifact history PATH``: a collection's audit trail, newest first, and the
``--as-of`` option that ``show`` and ``get`` take (time travel)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from archivist.cli.console import output_console
from archivist.cli.table_output import print_json, render_table

if TYPE_CHECKING:
    from archivist.cli.resolving import Collection

HISTORY_HEADERS = ("ID", "WHEN", "EVENT", "ALIAS/TAG", "VERSION", "BEFORE", "BY", "NOTE")


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from archivist.core.artifact_events import parse_moment
    from archivist.core.errors import InvalidInputError

    if value is None:
        return None
    try:
        return parse_moment(value).isoformat()
    except InvalidInputError as error:
        raise click.BadParameter(str(error)) from None


as_of_option = click.option(
    "--as-of",
    "as_of",
    metavar="TIME",
    callback=_as_of,
    help="The version the alias (or latest, or vN) named at TIME (ISO 8601, e.g. "
    "2026-12-07T10:30:00+00:00; no offset means UTC), from the audit trail.",
)


def _event_json(event: Any) -> dict[str, Any]:
    from archivist.core.models import to_dict

    shown: dict[str, Any] = to_dict(event)
    return shown


def _event_row(event: Any) -> list[str]:
    return [
        str(event.id),
        event.created_at.replace("T", " ")[:19],
        event.event_type,
        event.alias or event.tag or "",
        event.version or "",
        event.previous_version or "",
        event.actor,
        event.note or "",
    ]


limit_option = click.option(
    "--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="Events to show."
)
before_option = click.option(
    "--before", type=click.IntRange(1), help="Continue a listing: events older than this id."
)


@click.command("history")
@click.argument("path", metavar="[ENTITY/][PROJECT/]NAME")
@click.option("--alias", help="Only the events of this alias (its moves and removals).")
@limit_option
@before_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def history_command(path: str, alias: str | None, limit: int, before: int | None, as_json: bool) -> None:
    """A collection's audit trail, newest first: versions created, linked, unlinked and
    deleted, aliases added, moved and removed, tags added and removed; who and when."""
    from archivist.cli.resolving import collection_at

    collection = collection_at(path)
    show_history(collection, alias, limit, before, as_json)


def show_history(
    collection: Collection, alias: str | None, limit: int, before: int | None, as_json: bool
) -> None:
    """Print a page of ``collection``'s (a ``resolving.Collection``) audit trail, newest first."""
    events = collection.backend.collection_history(
        collection.entity, collection.project, collection.name, alias=alias, before=before, limit=limit
    )
    if as_json:
        print_json([_event_json(event) for event in events])
        return
    if not events:
        click.echo(f"No events of {collection.path}{'' if alias is None else f' for alias {alias!r}'}.")
        return
    render_table(HISTORY_HEADERS, [_event_row(event) for event in events], collection.path, output_console())
    if len(events) == limit:
        click.echo(f"More: --before {events[-1].id}")
