"""Running the server process: ``archivist server`` calls ``serve``.

uvicorn serves the app; on SIGTERM or Ctrl-C it stops accepting connections,
lets the requests in flight finish (up to ``GRACEFUL_SECONDS``), and the
process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import NoReturn

import click
import sqlalchemy.exc
import uvicorn

from archivist.core.errors import StorageError
from archivist.server.app import create_app
from archivist.server.config import ServerConfig, shown_db_url
from archivist.server.request_log import configure_request_logging

GRACEFUL_SECONDS = 30


def serve(config: ServerConfig, host: str, port: int, log_requests: bool = True) -> None:
    _exit_cleanly_on_stop_signals()
    configure_request_logging(logging.INFO if log_requests else logging.WARNING)
    try:
        app = create_app(config)
    except sqlalchemy.exc.OperationalError as error:
        raise StorageError(f"cannot open the database {shown_db_url(config.db_url)}: {error.orig}") from None
    url = f"http://{host}:{port}"
    key = app.state.generated_admin_key
    if key is not None:
        click.echo(
            "Created the administrator 'admin'. Its API key, shown only this once:\n"
            f"  {key}\n"
            f"Connect with: archivist login {url} --key <key>  "
            "(or set ARCHIVIST_BASE_URL and ARCHIVIST_API_KEY)",
        )
    click.echo(
        f"Archivist server on {url} (database {shown_db_url(config.db_url)}, store {config.store_url})"
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        server_header=False,
    )


def _stop(_signum: int, _frame: FrameType | None) -> NoReturn:
    raise SystemExit(0)


def _exit_cleanly_on_stop_signals() -> None:
    """After its graceful shutdown uvicorn restores the previous signal handlers and
    raises the signal again; with these handlers that ends the process with status 0
    (and a signal during start-up stops it at once)."""
    if threading.current_thread() is threading.main_thread():
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, _stop)
