"""``archivist login``, ``user``, ``key`` and ``team``: connecting to a server and
managing its accounts. Users and teams are created by an administrator; every user
manages their own keys, sees their teams, and a team's admins manage its members."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from archivist.cli.table_output import print_json
from archivist.core.accounts import ROLES
from archivist.core.errors import UsageError

if TYPE_CHECKING:
    from archivist.client.admin import AdminClient


@contextmanager
def _admin_client() -> Iterator[AdminClient]:
    from archivist.client.admin import AdminClient
    from archivist.client.factory import server_settings
    from archivist.core.settings import Settings

    base_url, api_key = server_settings(Settings.from_env())
    if base_url is None:
        raise UsageError(
            "no server chosen: set ARCHIVIST_BASE_URL and ARCHIVIST_API_KEY, or run 'archivist login URL'"
        )
    client = AdminClient(base_url, api_key)
    try:
        yield client
    finally:
        client.close()


@click.command("login")
@click.argument("url")
@click.option("--key", help="The API key (prompted for, hidden, when omitted).")
def login_command(url: str, key: str | None) -> None:
    """Use the server at URL from now on, with an API key saved in your config folder (mode 0600)."""
    from archivist.client.login import log_in
    from archivist.core.settings import Settings

    if key is None:
        if not sys.stdin.isatty():  # a script or CI: nobody could type the key
            raise click.UsageError(
                f"no API key for {url}: pass it with --key ak_... (there is no terminal to ask for it)"
            )
        key = click.prompt("API key", hide_input=True)
    settings = Settings.from_env()
    assert settings.config_dir is not None
    done = log_in(settings.config_dir, url, key)
    click.echo(f"Logged in to {done.base_url} as {done.user!r}; the key is saved in {done.path}.")


@click.group("user")
def user_group() -> None:
    """Create, list, disable and enable a server's users (administrators only)."""


@user_group.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["member", "admin"]),
    default="member",
    show_default=True,
    help="'admin' makes a server administrator.",
)
def user_create_command(name: str, role: str) -> None:
    """Create user NAME (with a personal entity NAME) and print their first API key."""
    with _admin_client() as client:
        created = client.create_user(name, is_admin=role == "admin")
    click.echo(f"Created user {created.user.name!r} ({role}). Their API key, shown only this once:")
    click.echo(created.key.key)


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def user_list_command(as_json: bool) -> None:
    """List the users: name, role, creation time, state (active or disabled)."""
    with _admin_client() as client:
        users = client.list_users()
    if as_json:
        print_json([asdict(user) for user in users])
        return
    for user in users:
        role = "admin" if user.is_admin else "member"
        click.echo(f"{user.name}\t{role}\t{user.created_at}\t{'disabled' if user.disabled else 'active'}")


@user_group.command("disable")
@click.argument("name")
def user_disable_command(name: str) -> None:
    """Disable user NAME: their keys are refused from now on; keys, roles and data stay."""
    with _admin_client() as client:
        client.set_user_disabled(name, True)
    click.echo(
        f"Disabled user {name!r}: their keys no longer work ('archivist user enable {name}' undoes it)."
    )


@user_group.command("enable")
@click.argument("name")
def user_enable_command(name: str) -> None:
    """Enable user NAME again: their keys that were not revoked work again."""
    with _admin_client() as client:
        client.set_user_disabled(name, False)
    click.echo(f"Enabled user {name!r}.")


@click.group("key")
def key_group() -> None:
    """Create, list and revoke API keys: your own, or any user's (administrators, --user)."""


@key_group.command("create")
@click.option("--user", "user", help="The user the key belongs to (administrators; default: you).")
@click.option("-d", "--description", help="What the key is for (shown in listings).")
def key_create_command(user: str | None, description: str | None) -> None:
    """Create an API key and print it (it is shown only this once)."""
    with _admin_client() as client:
        created = client.create_own_key(description) if user is None else client.create_key(user, description)
    click.echo(f"Created API key {created.record.id} for {created.record.user!r}, shown only this once:")
    click.echo(created.key)


@key_group.command("list")
@click.option("--user", "user", help="Whose keys to list (administrators; default: yours).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def key_list_command(user: str | None, as_json: bool) -> None:
    """List keys: key id, state, creation time, description (never the keys)."""
    with _admin_client() as client:
        keys = client.list_own_keys() if user is None else client.list_keys(user)
    if as_json:
        print_json([asdict(key) for key in keys])
        return
    for key in keys:
        state = "revoked" if key.revoked else "active"
        click.echo(f"{key.id}\t{state}\t{key.created_at}\t{key.description or ''}")


@key_group.command("revoke")
@click.argument("key_id")
def key_revoke_command(key_id: str) -> None:
    """Revoke the key KEY_ID (kid_..., see 'archivist key list'); it stops working at once.
    Users revoke their own keys; administrators any key."""
    with _admin_client() as client:
        key = client.revoke_key(key_id) if client.identity().is_admin else client.revoke_own_key(key_id)
    click.echo(f"Revoked API key {key.id} of {key.user!r}.")


@click.group("team")
def team_group() -> None:
    """Teams: entities shared by several users with a role each."""


@team_group.command("create")
@click.argument("name")
def team_create_command(name: str) -> None:
    """Create the team entity NAME (administrators only)."""
    with _admin_client() as client:
        client.create_team(name)
    click.echo(f"Team {name!r} exists; add members with 'archivist team add {name} USER --role member'.")


@team_group.command("add")
@click.argument("team")
@click.argument("user")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
def team_add_command(team: str, user: str, role: str) -> None:
    """Give USER a role in TEAM: viewers read, members also write, admins also manage members."""
    with _admin_client() as client:
        member = client.set_member(team, user, role)
    click.echo(f"{member.user!r} is now {member.role} of {member.entity!r}.")


@team_group.command("members")
@click.argument("team")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def team_members_command(team: str, as_json: bool) -> None:
    """List the members of TEAM and their roles."""
    with _admin_client() as client:
        members = client.list_members(team)
    if as_json:
        print_json([asdict(member) for member in members])
        return
    for member in members:
        click.echo(f"{member.user}\t{member.role}")


@team_group.command("remove")
@click.argument("team")
@click.argument("user")
def team_remove_command(team: str, user: str) -> None:
    """Take USER's role in TEAM away (the team's admins and server administrators)."""
    with _admin_client() as client:
        removed = client.remove_member(team, user)
    click.echo(f"{removed.user!r} is no longer {removed.role} of {removed.entity!r}.")


@team_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def team_list_command(as_json: bool) -> None:
    """List your teams with your role and their size (every team for a server administrator)."""
    with _admin_client() as client:
        teams = client.list_teams()
    if as_json:
        print_json([asdict(team) for team in teams])
        return
    if not teams:
        click.echo("You are in no team.")
    for team in teams:
        click.echo(f"{team.name}\t{team.role or '-'}\t{team.members} members")
