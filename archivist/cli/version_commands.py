"""``archivist artifact versions|show|diff``: looking at the versions of a collection.

Each prints for people, or JSON for scripts with ``--json``.
"""

from __future__ import annotations

import click

from archivist.cli.console import output_console
from archivist.cli.history_commands import as_of_option
from archivist.cli.table_output import print_json, render_table
from archivist.cli.version_views import VERSION_HEADERS, run_json, show_lines, version_json, version_row

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.command("versions")
@click.argument("path", metavar="[ENTITY/][PROJECT/]NAME")
@json_option
def versions_command(path: str, as_json: bool) -> None:
    """List every version of a collection, newest first: aliases, tags, size, created, producer."""
    from archivist.cli.resolving import collection_at
    from archivist.core.models import VersionQuery

    collection = collection_at(path)
    backend = collection.backend
    backend.get_collection(collection.entity, collection.project, collection.name)  # not found: says so
    records = backend.list_versions(VersionQuery(collection.entity, collection.project, collection.name))
    if as_json:
        print_json([version_json(record) for record in records])
        return
    if not records:
        click.echo(f"No versions of {collection.path}.")
        return
    render_table(
        VERSION_HEADERS,
        [version_row(record) for record in records],
        collection.path,
        output_console(),
        right={"SIZE", "FILES"},
    )


@click.command("show")
@click.argument("path", metavar="[ENTITY/][PROJECT/]NAME[:ALIAS]")
@json_option
@as_of_option
def show_command(path: str, as_json: bool, as_of: str | None) -> None:
    """Show a version (default: latest): metadata, description, aliases, tags, files, lineage."""
    from archivist.cli.resolving import version_at

    backend, record = version_at(path, as_of=as_of)
    producer = backend.version_producer(record.id)
    consumers = backend.version_consumers(record.id)
    if as_json:
        print_json(
            {
                **version_json(record),
                "logged_by": None if producer is None else run_json(producer),
                "used_by": [run_json(run) for run in consumers],
            }
        )
        return
    for line in show_lines(record, producer, consumers):
        click.echo(line)


@click.command("diff")
@click.argument("old", metavar="PATH:A")
@click.argument("new", metavar="PATH:B")
@json_option
def diff_command(old: str, new: str, as_json: bool) -> None:
    """What changed from version A to version B: files added, removed and changed (with sizes)
    and metadata keys. B may be a version of A's collection alone: ``v3`` or ``:alias``."""
    import archivist
    from archivist.cli.diff_view import diff_json, diff_lines, same_collection
    from archivist.core.paths import parse_artifact_path

    new = same_collection(old, new)
    api = archivist.Api()
    before = api.artifact(str(parse_artifact_path(old)))
    after = api.artifact(str(parse_artifact_path(new)))
    changes = after.diff(before)
    if as_json:
        print_json(diff_json(before, after, changes))
        return
    for line in diff_lines(before, after, changes):
        click.echo(line)
