"""``archivist login``, ``user``, ``key`` and ``team``: connecting to a server and
managing its accounts (with an administrator's key for users, keys and teams)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

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
    from archivist.client.admin import AdminClient
    from archivist.client.credentials import credentials_path, save_login
    from archivist.core.settings import Settings

    if key is None:
        if not sys.stdin.isatty():  # a script or CI: nobody could type the key
            raise click.UsageError(
                f"no API key for {url}: pass it with --key ak_... (there is no terminal to ask for it)"
            )
        key = click.prompt("API key", hide_input=True)
    client = AdminClient(url, key.strip())
    try:
        identity = client.identity()
    finally:
        client.close()
    settings = Settings.from_env()
    assert settings.config_dir is not None
    path = credentials_path(settings.config_dir)
    save_login(path, url, key.strip())
    click.echo(f"Logged in to {url.rstrip('/')} as {identity.user!r}; the key is saved in {path}.")


@click.group("user")
def user_group() -> None:
    """Create and list a server's users (administrators only)."""


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
def user_list_command() -> None:
    """List the users."""
    with _admin_client() as client:
        for user in client.list_users():
            click.echo(f"{user.name}\t{'admin' if user.is_admin else 'member'}\t{user.created_at}")


@click.group("key")
def key_group() -> None:
    """Create, list and revoke API keys (administrators only)."""


@key_group.command("create")
@click.option("--user", "user", required=True, help="The user the key belongs to.")
@click.option("-d", "--description", help="What the key is for (shown in listings).")
def key_create_command(user: str, description: str | None) -> None:
    """Create an API key for a user and print it (it is shown only this once)."""
    with _admin_client() as client:
        created = client.create_key(user, description)
    click.echo(f"Created API key {created.record.id} for {user!r}, shown only this once:")
    click.echo(created.key)


@key_group.command("list")
@click.option("--user", "user", required=True, help="Whose keys to list.")
def key_list_command(user: str) -> None:
    """List a user's keys: key id, state, creation time, description (never the keys)."""
    with _admin_client() as client:
        for key in client.list_keys(user):
            state = "revoked" if key.revoked else "active"
            click.echo(f"{key.id}\t{state}\t{key.created_at}\t{key.description or ''}")


@key_group.command("revoke")
@click.argument("key_id")
def key_revoke_command(key_id: str) -> None:
    """Revoke the key KEY_ID (kid_..., see 'archivist key list'); it stops working at once."""
    with _admin_client() as client:
        key = client.revoke_key(key_id)
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
def team_members_command(team: str) -> None:
    """List the members of TEAM and their roles."""
    with _admin_client() as client:
        for member in client.list_members(team):
            click.echo(f"{member.user}\t{member.role}")
