"""``archivist artifact link|unlink``: putting a logged version into a registry collection
and taking the link out again (the version itself stays where it was logged).

A link copies no data: it gets its own version number and aliases in the collection,
which the first link creates with the version's type. Linking the same version again
returns the existing link with the aliases added.
"""

from __future__ import annotations

import click

from archivist.cli.table_output import print_json

_json = click.option("--json", "as_json", is_flag=True, help="Print the link as JSON.")


@click.command("link")
@click.argument("path", metavar="[ENTITY/][PROJECT/]NAME:VERSION")
@click.argument("target", metavar="[ORG/]wandb-registry-REGISTRY/COLLECTION")
@click.option("-a", "--alias", "aliases", multiple=True, help="Alias to give the link (repeatable).")
@_json
def link_command(path: str, target: str, aliases: tuple[str, ...], as_json: bool) -> None:
    """Link the version PATH:VERSION into the registry collection TARGET."""
    from archivist.cli.registry_views import link_json
    from archivist.cli.resolving import version_at
    from archivist.core.registries import LinkOrigin, parse_link_target
    from archivist.sdk import registry_links
    from archivist.sdk.context import get_context

    if ":" in target:
        raise click.BadParameter(
            f"{target!r} names a version; a target is a collection: give its aliases with --alias",
            param_hint="TARGET",
        )
    parse_link_target(target)  # a bad target is named before the version is looked up
    _, record = version_at(path, explicit=True)
    origin = LinkOrigin(record.entity, record.project)
    link = registry_links.link(get_context(), record.id, target, aliases, origin)
    if as_json:
        print_json(link_json(link))
        return
    source = f"{record.qualified_collection}:{record.version}"
    shown = ", ".join(link.aliases) or "none"
    click.echo(f"Linked {source} as {link.project}/{link.collection}:{link.version} (aliases: {shown}).")


@click.command("unlink")
@click.argument("path", metavar="[ORG/]wandb-registry-REGISTRY/COLLECTION:VERSION")
@_json
def unlink_command(path: str, as_json: bool) -> None:
    """Remove the link PATH:VERSION from its registry collection (its source version stays)."""
    from archivist.cli.registry_views import link_json
    from archivist.cli.resolving import version_at
    from archivist.sdk import registry_links

    backend, record = version_at(path, explicit=True)
    registry_links.require_link(record, "unlink")
    backend.delete_version(record.id, delete_aliases=True)
    if as_json:
        print_json({**link_json(record), "unlinked": True})
        return
    assert record.source is not None  # require_link
    click.echo(
        f"Unlinked {record.project}/{record.collection}:{record.version} "
        f"(it named {record.source.qualified_name})."
    )
