"""``archivist ui``: the web UI over the embedded store, served on loopback.

There is no API key check in this mode (everyone who can reach the port may read
and edit), so a host other than loopback is refused unless ``--allow-remote``.
"""

from __future__ import annotations

import importlib.util
import ipaddress

import click

from archivist.core.errors import InvalidInputError, NotSupportedError
from archivist.core.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
LOOPBACK_NAMES = ("localhost",)
UI_MODULES = ("fastapi", "uvicorn", "jinja2", "markdown_it")


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_ui_installed() -> None:
    missing = [name for name in UI_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise NotSupportedError(
            f"the web UI needs {', '.join(missing)}, which are not installed; "
            "install them with: pip install 'archivist[ui]'"
        )


def check_host(host: str, allow_remote: bool) -> None:
    if not is_loopback(host) and not allow_remote:
        raise InvalidInputError(
            f"refusing to serve the UI on {host!r}: 'archivist ui' has no API key check, so it listens "
            "on loopback only (127.0.0.1, ::1, localhost); pass --allow-remote to expose it anyway, "
            "or run 'archivist server' for a UI with logins"
        )


@click.command("ui")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Listen on a non-loopback address. There is NO key check: anyone who reaches it may edit.",
)
def ui_command(host: str, port: int, allow_remote: bool) -> None:
    """Browse artifacts and lineage in the browser (the embedded store in ARCHIVIST_DIR).

    Open http://127.0.0.1:8080/ui/ once it runs; stop it with Ctrl-C.
    """
    check_host(host, allow_remote)
    check_ui_installed()
    import uvicorn

    from archivist.server.ui.local_app import create_local_ui_app
    from archivist.service.embedded import LocalBackend

    settings = Settings.from_env()
    backend = LocalBackend(settings)
    assert backend.dispatcher is not None
    backend.dispatcher.start()  # the UI delivers the embedded store's automations while it runs
    app = create_local_ui_app(backend)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Archivist UI for {settings.home} on http://{shown}:{port}/ui/ (Ctrl-C to stop)")
    if not is_loopback(host):
        click.echo("warning: listening beyond loopback without any key check; anyone may edit", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
