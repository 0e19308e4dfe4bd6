"""``archivist project ls``: the projects of an entity."""

from __future__ import annotations

import click

from archivist.cli.console import output_console
from archivist.cli.lifecycle_commands import project_rm_command
from archivist.cli.table_output import print_json, render_table


@click.group("project")
def project_group() -> None:
    """The projects of an entity (a user or a team)."""


project_group.add_command(project_rm_command)


@project_group.command("ls")
@click.argument("entity", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def project_ls_command(entity: str | None, as_json: bool) -> None:
    """List the projects of ENTITY (default: yours) with how many artifact collections each holds."""
    from archivist.core.names import validate_entity
    from archivist.sdk.context import get_context

    context = get_context()
    entity = validate_entity(entity) if entity is not None else context.entity
    backend = context.backend
    projects = [(name, len(backend.list_collections(entity, name))) for name in backend.list_projects(entity)]
    if as_json:
        print_json([{"entity": entity, "name": name, "collections": count} for name, count in projects])
        return
    if not projects:
        click.echo(f"No projects in entity {entity}.")
        return
    rows = [(name, str(count)) for name, count in projects]
    render_table(("PROJECT", "COLLECTIONS"), rows, entity, output_console(), right={"COLLECTIONS"})
