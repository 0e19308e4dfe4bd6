"""``archivist registry create|ls|show|delete|collections|versions``: the organization's
registries (SPEC §7), whose collections hold links to versions logged in projects.

Linking and unlinking are ``archivist artifact link|unlink`` (``link_commands``); aliases of
a linked version are changed with ``archivist artifact alias add|rm`` on its registry path.
Each command prints for people, or JSON for scripts with ``--json``; ``--filter`` takes the
MongoDB-style filters of ``api.registries(filter=...)`` as JSON, run by the database.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import click

from archivist.cli.console import output_console
from archivist.cli.table_output import print_json, render_table
from archivist.cli.version_commands import json_option

if TYPE_CHECKING:
    from archivist.core.backend import Backend
    from archivist.core.models import CollectionRecord, VersionRecord

PAGE = 500
"""How many records one call fetches while a command lists all of them."""
_Record = TypeVar("_Record")

_filter_option = click.option(
    "--filter",
    "filter_json",
    metavar="JSON",
    help='A filter as JSON, e.g. \'{"name": {"$regex": "^prod"}}\' (operators $eq $ne $gt $gte '
    "$lt $lte $in $nin $and $or $nor $not $regex $exists $contains).",
)
_limit_option = click.option(
    "--limit", type=click.IntRange(min=1), help="Show at most this many (default: all)."
)


def parse_filter(text: str | None) -> dict[str, Any] | None:
    """The ``--filter`` JSON object; anything else is a usage mistake (exit 2)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"{text!r} is not JSON ({error.msg})", param_hint="--filter") from None
    if not isinstance(value, dict):
        raise click.BadParameter(
            f'{text!r} must be a JSON object such as \'{{"name": "x"}}\'', param_hint="--filter"
        )
    return value


def paged(fetch: Callable[[int, int], list[_Record]], limit: int | None) -> Iterator[_Record]:
    """Every record (at most ``limit``), fetched a page at a time; a short page is the last."""
    offset = 0
    while limit is None or offset < limit:
        size = PAGE if limit is None else min(PAGE, limit - offset)
        page = fetch(offset, size)
        yield from page
        if len(page) < size:
            return
        offset += size


def context_backend() -> Backend:
    from archivist.sdk.context import get_context

    return get_context().backend


def given_registry(name: str) -> str:
    """A registry name given bare or as ``wandb-registry-<name>`` (a bad one exits 2)."""
    from archivist.sdk.registries import registry_name

    return registry_name(name)


@click.group("registry")
def registry_group() -> None:
    """Create, list, inspect and delete registries (link versions with 'archivist artifact link')."""


@registry_group.command("create")
@click.argument("name")
@click.option(
    "--visibility",
    type=click.Choice(["organization", "restricted"]),
    default="organization",
    show_default=True,
    help="'organization': every user may read it; 'restricted': only its members.",
)
@click.option("-d", "--description", help="Description of the registry (Markdown).")
@click.option(
    "-t",
    "--type",
    "types",
    multiple=True,
    help="An artifact type it accepts (repeatable; default: all types).",
)
@json_option
def create_command(
    name: str, visibility: str, description: str | None, types: tuple[str, ...], as_json: bool
) -> None:
    """Create the registry NAME (its project is wandb-registry-NAME)."""
    from archivist.cli.registry_views import accepted_types, registry_json
    from archivist.core.registries import validate_artifact_types

    registry = given_registry(name)
    accepted = list(validate_artifact_types(list(types)))
    record = context_backend().create_registry(
        registry, visibility, description, accepted, allow_all_artifact_types=not accepted
    )
    if as_json:
        print_json(registry_json(record))
        return
    click.echo(
        f"Created registry {record.name!r} ({record.project}), visibility {visibility}, "
        f"accepting {accepted_types(record)}."
    )


@registry_group.command("ls")
@_filter_option
@json_option
def ls_command(filter_json: str | None, as_json: bool) -> None:
    """List the registries you may read, by name."""
    from archivist.cli.registry_views import REGISTRY_HEADERS, registry_json, registry_row

    wanted = parse_filter(filter_json)
    backend = context_backend()
    records = list(paged(lambda offset, size: backend.list_registries(wanted, offset, size), None))
    if as_json:
        print_json([registry_json(record) for record in records])
        return
    if not records:
        click.echo("No registries match the filter." if wanted else "No registries.")
        return
    render_table(REGISTRY_HEADERS, [registry_row(r) for r in records], "Registries", output_console())


def _collections(
    backend: Backend, project: str, wanted: Mapping[str, Any] | None, limit: int | None
) -> list[CollectionRecord]:
    from archivist.core.registries import ORGANIZATION

    return list(
        paged(
            lambda offset, size: backend.list_collections(
                ORGANIZATION, project, filter=wanted, offset=offset, limit=size
            ),
            limit,
        )
    )


def _latest_links(backend: Backend, registry: str) -> dict[str, VersionRecord]:
    """The latest link of every collection of the registry, by collection name (one query a page)."""
    from archivist.core.paths import LATEST

    found = paged(
        lambda offset, size: backend.list_registry_versions(registry, {"alias": LATEST}, offset, size), None
    )
    return {record.collection: record for record in found}


def _print_collections(title: str, records: list[CollectionRecord], latest: dict[str, VersionRecord]) -> None:
    from archivist.cli.registry_views import COLLECTION_HEADERS, collection_row

    rows = [collection_row(record, latest.get(record.name)) for record in records]
    render_table(COLLECTION_HEADERS, rows, title, output_console(), right={"VERSIONS"})


@registry_group.command("show")
@click.argument("name")
@json_option
def show_command(name: str, as_json: bool) -> None:
    """Show a registry: visibility, accepted types, description and its collections."""
    from archivist.cli.registry_views import collection_json, registry_json, registry_lines

    backend = context_backend()
    record = backend.get_registry(given_registry(name))
    collections = _collections(backend, record.project, None, None)
    latest = _latest_links(backend, record.name)
    if as_json:
        collections_json = [collection_json(c, latest.get(c.name)) for c in collections]
        print_json({**registry_json(record), "collections": collections_json})
        return
    for line in registry_lines(record, len(collections)):
        click.echo(line)
    if collections:
        click.echo("")
        _print_collections(f"Collections of {record.name}", collections, latest)


@registry_group.command("collections")
@click.argument("name")
@_filter_option
@_limit_option
@json_option
def collections_command(name: str, filter_json: str | None, limit: int | None, as_json: bool) -> None:
    """List the collections of the registry NAME: type, version count, latest version."""
    from archivist.cli.registry_views import collection_json

    wanted = parse_filter(filter_json)
    backend = context_backend()
    record = backend.get_registry(given_registry(name))
    collections = _collections(backend, record.project, wanted, limit)
    latest = _latest_links(backend, record.name)
    if as_json:
        print_json([collection_json(c, latest.get(c.name)) for c in collections])
        return
    if not collections:
        click.echo(f"No collections in {record.name}{' match the filter' if wanted else ''}.")
        return
    _print_collections(f"Collections of {record.name}", collections, latest)


@registry_group.command("versions")
@click.argument("path", metavar="NAME[/COLLECTION]")
@_filter_option
@_limit_option
@json_option
def versions_command(path: str, filter_json: str | None, limit: int | None, as_json: bool) -> None:
    """List the linked versions of a registry (by collection, newest first) or of one of its
    collections, with their aliases and the version each links to."""
    from archivist.cli.registry_views import LINK_HEADERS, link_json, link_row
    from archivist.core.models import VersionQuery
    from archivist.core.registries import ORGANIZATION, validate_registry_collection

    wanted = parse_filter(filter_json)
    name, _, collection = path.partition("/")
    backend = context_backend()
    record = backend.get_registry(given_registry(name))
    if collection:
        collection = validate_registry_collection(collection)
        backend.get_collection(ORGANIZATION, record.project, collection)  # not found: says so

        def fetch(offset: int, size: int) -> list[VersionRecord]:
            query = VersionQuery(
                ORGANIZATION, record.project, collection, filter=wanted or {}, offset=offset, limit=size
            )
            return backend.list_versions(query)

    else:

        def fetch(offset: int, size: int) -> list[VersionRecord]:
            return backend.list_registry_versions(record.name, wanted, offset, size)

    links = list(paged(fetch, limit))
    if as_json:
        print_json([link_json(link) for link in links])
        return
    title = f"{record.project}/{collection}" if collection else record.project
    if not links:
        click.echo(f"No linked versions in {title}{' match the filter' if wanted else ''}.")
        return
    rows = [link_row(link, with_collection=not collection) for link in links]
    render_table(LINK_HEADERS, rows, title, output_console())


@registry_group.command("delete")
@click.argument("name")
@click.option("-y", "--yes", is_flag=True, help="Delete without asking.")
def delete_command(name: str, yes: bool) -> None:
    """Delete the custom registry NAME and its links (the linked versions stay in their projects)."""
    backend = context_backend()
    record = backend.get_registry(given_registry(name))
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError(f"deleting registry {record.name!r} needs confirmation: pass --yes")
        from archivist.core.registries import ORGANIZATION

        collections = backend.list_collections(ORGANIZATION, record.project)
        links = sum(c.version_count for c in collections)
        question = (
            f"Delete registry {record.name!r} with {len(collections)} collection(s) and {links} link(s)?"
        )
        if not click.confirm(question):
            click.echo(f"Kept registry {record.name!r}.")
            return
    backend.delete_registry(record.name)
    click.echo(f"Deleted registry {record.name!r}.")
