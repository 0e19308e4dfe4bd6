"""``archivist registry protect|unprotect|members|member|history``: who may do what in a
registry (its protected aliases with their promotion rules, its members and their roles)
and what happened in its collections (the audit trail, and which version an alias named
at a given time).

The Backend checks every call (protecting aliases and managing members need the registry's
admin); these commands only print its answers, for people or as JSON with ``--json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from archivist.cli.console import output_console
from archivist.cli.history_commands import as_of_option, before_option, limit_option, show_history
from archivist.cli.registry_commands import context_backend, given_registry
from archivist.cli.table_output import print_json, render_table
from archivist.cli.version_commands import json_option
from archivist.core.registries import DEFAULT_MEMBER_ROLE, REGISTRY_ROLES

if TYPE_CHECKING:
    from archivist.core.registries import RegistryMember, RegistryRecord

_role_choice = click.Choice(list(REGISTRY_ROLES))


def _print_protection(record: RegistryRecord, alias: str, as_json: bool) -> None:
    from archivist.cli.registry_views import registry_json

    if as_json:
        print_json(registry_json(record))
        return
    protected = {p.alias: p.rule for p in record.protected_aliases}
    if alias in protected:
        rule = protected[alias]
        click.echo(
            f"Alias {alias!r} of registry {record.name!r} is protected"
            + (f", rule: {rule}" if rule else ", no promotion rule")
            + "."
        )
    else:
        click.echo(f"Alias {alias!r} of registry {record.name!r} is no longer protected.")
    if protected:
        click.echo("Protected aliases: " + ", ".join(sorted(protected)))


@click.command("protect")
@click.argument("name")
@click.argument("alias")
@click.option(
    "--rule",
    metavar="RULE",
    help="The promotion rule a version must pass to get ALIAS, e.g. "
    "'summary.accuracy >= 0.92 and metadata.framework == \"torch\"' (again: replaces it).",
)
@json_option
def protect_command(name: str, alias: str, rule: str | None, as_json: bool) -> None:
    """Protect ALIAS in the registry NAME: only its admins give or take it, and versions get it
    only when they pass RULE (an admin may override with a reason)."""
    record = context_backend().protect_alias(given_registry(name), alias, rule)
    _print_protection(record, alias, as_json)


@click.command("unprotect")
@click.argument("name")
@click.argument("alias")
@json_option
def unprotect_command(name: str, alias: str, as_json: bool) -> None:
    """Stop protecting ALIAS in the registry NAME (versions holding it keep it)."""
    record = context_backend().unprotect_alias(given_registry(name), alias)
    _print_protection(record, alias, as_json)


def _print_members(registry: str, members: list[RegistryMember], as_json: bool) -> None:
    from archivist.cli.registry_views import MEMBER_HEADERS, member_json, member_row

    if as_json:
        print_json([member_json(member) for member in members])
        return
    if not members:
        click.echo(f"Registry {registry!r} has no members of its own.")
        return
    rows = [member_row(member) for member in members]
    render_table(MEMBER_HEADERS, rows, f"Members of {registry}", output_console())


@click.command("members")
@click.argument("name")
@json_option
def members_command(name: str, as_json: bool) -> None:
    """List the users and teams holding a role of the registry NAME's own."""
    registry = given_registry(name)
    _print_members(registry, context_backend().list_registry_members(registry), as_json)


@click.group("member")
def member_group() -> None:
    """Give, change and take away roles in a registry (its admins only)."""


@member_group.command("add")
@click.argument("name")
@click.argument("members", nargs=-1, required=True)
@click.option("--role", type=_role_choice, default=DEFAULT_MEMBER_ROLE, show_default=True)
@json_option
def member_add_command(name: str, members: tuple[str, ...], role: str, as_json: bool) -> None:
    """Give the users or teams MEMBERS the role in the registry NAME."""
    registry = given_registry(name)
    listed = context_backend().add_registry_members(registry, list(members), role)
    if not as_json:
        click.echo(
            f"Added {', '.join(members)} to registry {registry!r} "
            f"(new members get {role}; members keep theirs)."
        )
    _print_members(registry, listed, as_json)


@member_group.command("set")
@click.argument("name")
@click.argument("member")
@click.option("--role", type=_role_choice, required=True)
@json_option
def member_set_command(name: str, member: str, role: str, as_json: bool) -> None:
    """Change the role of MEMBER (a user or team) in the registry NAME."""
    from archivist.cli.registry_views import member_json

    registry = given_registry(name)
    changed = context_backend().update_registry_member(registry, member, role)
    if as_json:
        print_json(member_json(changed))
        return
    click.echo(f"{changed.name} now has the role {changed.role} in registry {registry!r}.")


@member_group.command("rm")
@click.argument("name")
@click.argument("members", nargs=-1, required=True)
@json_option
def member_rm_command(name: str, members: tuple[str, ...], as_json: bool) -> None:
    """Take the registry NAME's role away from the users or teams MEMBERS."""
    registry = given_registry(name)
    listed = context_backend().remove_registry_members(registry, list(members))
    if not as_json:
        click.echo(f"Removed {', '.join(members)} from registry {registry!r}.")
    _print_members(registry, listed, as_json)


@click.command("history")
@click.argument("path", metavar="NAME/COLLECTION")
@click.option("--alias", help="Only the events of this alias (its moves and removals).")
@as_of_option
@limit_option
@before_option
@json_option
def history_command(
    path: str, alias: str | None, as_of: str | None, limit: int, before: int | None, as_json: bool
) -> None:
    """The audit trail of a registry collection, newest first (links, unlinks, alias moves,
    protection changes, rule overrides: who and when). With --as-of and --alias: which
    version held the alias at that time."""
    from archivist.cli.registry_views import link_json
    from archivist.cli.resolving import Collection
    from archivist.core.registries import ORGANIZATION, validate_registry_collection

    name, _, collection_name = path.partition("/")
    if not collection_name or ":" in collection_name:
        raise click.UsageError(f"{path!r} is not NAME/COLLECTION, e.g. model/clf")
    backend = context_backend()
    record = backend.get_registry(given_registry(name))
    collection = Collection(
        backend, ORGANIZATION, record.project, validate_registry_collection(collection_name)
    )
    if as_of is None:
        show_history(collection, alias, limit, before, as_json)
        return
    if alias is None:
        raise click.UsageError(
            "--as-of needs --alias: the alias (or latest) whose holder at that time to show"
        )
    held = backend.resolve_version_as_of(collection.entity, collection.project, collection.name, alias, as_of)
    if as_json:
        print_json({"alias": alias, "as_of": as_of, "version": link_json(held)})
        return
    source = f" (links {held.source.qualified_name})" if held.source else ""
    click.echo(f"At {as_of}, {alias!r} of {record.project}/{collection.name} named {held.version}{source}.")


REGISTRY_ACCESS_COMMANDS = (
    protect_command,
    unprotect_command,
    members_command,
    member_group,
    history_command,
)
"""Added to ``archivist registry`` by ``cli.main``."""
