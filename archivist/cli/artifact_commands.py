"""``archivist artifact put|get|ls|lineage|verify|cache``: the W&B-style artifact commands,
``versions|show|diff|alias|tag`` (``version_commands``, ``label_commands``) and
``link|unlink`` (``link_commands``).

The commands parse options and print; the work lives in ``put``, ``listing``,
``lineage_view`` and ``cache_commands``. The SDK is imported inside the
commands so that ``--help`` and usage errors stay fast.
"""

from __future__ import annotations

import click

from archivist.cli.cache_commands import cache_group
from archivist.cli.console import output_console
from archivist.cli.history_commands import as_of_option, history_command
from archivist.cli.label_commands import alias_group, tag_group
from archivist.cli.lifecycle_commands import ARTIFACT_COMMANDS
from archivist.cli.lineage_view import DEFAULT_DEPTH, DIRECTIONS, print_lineage
from archivist.cli.link_commands import link_command, unlink_command
from archivist.cli.listing import empty_message, listing_rows, render_rows, require_project
from archivist.cli.put import PutRequest, parse_metadata, put, put_report
from archivist.cli.table_output import print_json
from archivist.cli.verify import verify_command
from archivist.cli.version_commands import diff_command, json_option, show_command, versions_command
from archivist.core.paths import parse_artifact_path, parse_project_path


@click.group("artifact")
def artifact_group() -> None:
    """Log, download, list and trace artifact versions."""


artifact_group.add_command(cache_group)
for subcommand in (
    verify_command,
    versions_command,
    show_command,
    diff_command,
    alias_group,
    tag_group,
    link_command,
    unlink_command,
    *ARTIFACT_COMMANDS,
):
    artifact_group.add_command(subcommand)
artifact_group.add_command(history_command)


@artifact_group.command("put")
@click.argument("path")
@click.option("-n", "--name", help="[entity/][project/]name of the artifact (default: the basename of PATH).")
@click.option("-t", "--type", "type_name", default="dataset", show_default=True, help="Artifact type.")
@click.option("-a", "--alias", "aliases", multiple=True, help="Alias to set on the version (repeatable).")
@click.option("-d", "--description", help="Description of the artifact (Markdown).")
@click.option("--metadata", help="Metadata as a JSON object, e.g. '{\"rows\": 100}'.")
@click.option("--skip-cache", is_flag=True, help="Do not keep a copy of the files in the local cache.")
@click.option(
    "--policy",
    type=click.Choice(["mutable", "immutable"]),
    default="mutable",
    show_default=True,
    help="'immutable' promises the files will not change while they are logged.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object (for scripts).")
def put_command(
    path: str,
    name: str | None,
    type_name: str,
    aliases: tuple[str, ...],
    description: str | None,
    metadata: str | None,
    skip_cache: bool,
    policy: str,
    as_json: bool,
) -> None:
    """Log PATH (a file, a directory or a URI such as file:///data) as a new artifact version."""
    request = PutRequest(
        path=path,
        name=name,
        type=type_name,
        aliases=aliases,
        description=description,
        metadata=parse_metadata(metadata),
        skip_cache=skip_cache,
        policy=policy,
    )
    click.echo(put_report(put(request), as_json))


@artifact_group.command("get")
@click.argument("path", metavar="PATH[:ALIAS]")
@click.option("--root", type=click.Path(file_okay=False), help="Directory to download into.")
@click.option("-t", "--type", "type_name", help="Fail unless the artifact has this type.")
@click.option(
    "--link",
    is_flag=True,
    help="Hard-link the files to the store's read-only blobs instead of copying them "
    "(fast, no extra space; the files are read-only and shared with the store).",
)
@as_of_option
def get_command(path: str, root: str | None, type_name: str | None, link: bool, as_of: str | None) -> None:
    """Download [entity/][project/]name[:alias|vN] (default alias: latest) and print where it is."""
    import archivist

    # adds ":latest" when no alias was given; a project may hold a bare target's spaced link name
    resolved = str(parse_artifact_path(path, linked_names=True))
    artifact = archivist.Api().artifact(resolved, type=type_name, as_of=as_of)
    click.echo(artifact.download(root=root, link=link))


@artifact_group.command("ls")
@click.argument("project_path", metavar="[ENTITY/]PROJECT")
@click.option("-t", "--type", "type_name", help="Only collections of this type.")
@json_option
def ls_command(project_path: str, type_name: str | None, as_json: bool) -> None:
    """List every collection of a project with its latest version and that version's aliases
    (times in the local time zone). A project that does not exist is an error."""
    from archivist.sdk.context import get_context

    entity, project = parse_project_path(project_path)
    context = get_context()
    entity = entity or context.entity
    rows = listing_rows(context.backend, entity, project, type_name)
    if not rows:
        require_project(context.backend, entity, project)
    if as_json:
        print_json([row.as_json() for row in rows])
        return
    if not rows:
        click.echo(empty_message(entity, project, type_name))
        return
    render_rows(rows, f"{entity}/{project}", output_console())


@artifact_group.command("lineage")
@click.argument("path", metavar="PATH[:ALIAS]")
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    default=DEFAULT_DEPTH,
    show_default=True,
    help="How many hops (run or version) to follow.",
)
@click.option(
    "--direction",
    type=click.Choice(list(DIRECTIONS)),
    default="both",
    show_default=True,
    help="up: what it was made from; down: what it went into.",
)
def lineage_command(path: str, depth: int, direction: str) -> None:
    """Show which runs logged and used a version, and what they used and logged."""
    resolved = str(parse_artifact_path(path))
    print_lineage(resolved, output_console(), depth=depth, direction=direction)
