"""``archivist whoami``, ``archivist status`` and ``archivist logout``: which store or server
the commands use, as whom, and forgetting a saved login."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, cast

import click

from archivist.cli.table_output import print_json

if TYPE_CHECKING:
    from archivist.core.accounts import Identity
    from archivist.core.accounts_api import AccountsApi

_json = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@dataclass(frozen=True)
class Session:
    """Where the commands go and as whom."""

    mode: str
    """'embedded' or 'server'."""
    location: str
    """The embedded store's folder, or the server's URL."""
    server_from: str | None
    """What chose the server: 'ARCHIVIST_BASE_URL' or the login file."""
    key_from: str | None
    user: str | None
    is_admin: bool | None
    entity: str
    project: str
    cache_dir: str
    login_file: str | None

    def short(self) -> str:
        if self.mode == "embedded":
            return f"{self.entity} (no server: the embedded store at {self.location})"
        admin = ", a server administrator" if self.is_admin else ""
        return f"{self.user} at {self.location}{admin}"


def current_session() -> Session:
    """Ask the server (if one is chosen) who the key belongs to; an unusable key or an
    unreachable server is raised as the error it is."""
    from archivist.client.credentials import credentials_path, load_credentials
    from archivist.client.factory import server_settings
    from archivist.core.settings import DEFAULT_ENTITY, DEFAULT_PROJECT, Settings

    settings = Settings.from_env()
    login_file = None if settings.config_dir is None else credentials_path(settings.config_dir)
    base_url, api_key = server_settings(settings)
    project = settings.project or DEFAULT_PROJECT
    if base_url is None:
        return Session(
            "embedded", settings.home, None, None, None, None,
            settings.entity or DEFAULT_ENTITY, project, settings.cache_dir, login_file,
        )  # fmt: skip
    saved = load_credentials(login_file) if login_file else None
    server_from = "ARCHIVIST_BASE_URL" if settings.base_url else login_file
    key_from = "ARCHIVIST_API_KEY" if settings.api_key else (login_file if saved and api_key else None)
    identity = _identity(base_url, api_key)
    return Session(
        "server", base_url.rstrip("/"), server_from, key_from, identity.user, identity.is_admin,
        settings.entity or identity.default_entity, project, settings.cache_dir, login_file,
    )  # fmt: skip


def _identity(base_url: str, api_key: str | None) -> Identity:
    from archivist.client.admin import AdminClient
    from archivist.core.errors import UsageError

    if api_key is None:
        raise UsageError(
            f"no API key for the server at {base_url}: "
            f"set ARCHIVIST_API_KEY or run 'archivist login {base_url}'"
        )
    client = AdminClient(base_url, api_key)
    try:
        # AdminClient's methods are installed from the AccountsApi declarations (remote_calls)
        return cast("AccountsApi", client).identity()
    finally:
        client.close()


@click.command("whoami")
@_json
def whoami_command(as_json: bool) -> None:
    """Who the commands act as, and on which store or server."""
    session = current_session()
    if as_json:
        print_json(asdict(session))
    else:
        click.echo(session.short())


@click.command("status")
@_json
def status_command(as_json: bool) -> None:
    """Which store or server the commands use, as whom, with which defaults and cache."""
    session = current_session()
    if as_json:
        print_json(asdict(session))
        return
    if session.mode == "embedded":
        click.echo(f"store:    the embedded store at {session.location} (ARCHIVIST_DIR); no server")
    else:
        click.echo(f"server:   {session.location} (from {session.server_from})")
        click.echo(f"user:     {session.user}{' (server administrator)' if session.is_admin else ''}")
        click.echo(f"key:      from {session.key_from}")
    click.echo(f"entity:   {session.entity} (paths without one use it)")
    click.echo(f"project:  {session.project} (paths without one use it)")
    click.echo(f"cache:    {session.cache_dir}")
    if session.login_file:
        state = "" if os.path.exists(session.login_file) else " (none saved)"
        click.echo(f"login:    {session.login_file}{state}")


@click.command("logout")
@click.argument("url", required=False)
def logout_command(url: str | None) -> None:
    """Forget the API key saved by 'archivist login' for URL (default: the saved server)."""
    from archivist.client.credentials import credentials_path, forget_login, load_credentials
    from archivist.core.settings import Settings

    settings = Settings.from_env()
    assert settings.config_dir is not None
    path = credentials_path(settings.config_dir)
    target = url or load_credentials(path).base_url
    if target is None:
        click.echo("Not logged in to any server: nothing to forget.")
        return
    if not forget_login(path, target):
        saved = ", ".join(load_credentials(path).keys) or "none"
        raise click.BadParameter(f"no login saved for {target} (saved: {saved})", param_hint="URL")
    click.echo(f"Logged out of {target.rstrip('/')}: its key is no longer saved in {path}.")
    if settings.base_url or settings.api_key:
        click.echo(
            "Note: ARCHIVIST_BASE_URL or ARCHIVIST_API_KEY is set in this environment and still applies.",
            err=True,
        )
