"""Running the server process: ``archivist server`` calls ``serve``.

Before anything is created or printed, the server refuses a SQLite database in a
missing folder and takes its port: the socket is bound and listening before the
database is opened (so a port in use costs nothing and no first admin key is made
only to be lost) and is handed to uvicorn, so no other process can take the port in
between. uvicorn serves the app; on SIGTERM or Ctrl-C it stops accepting
connections, lets the requests in flight finish (up to ``GRACEFUL_SECONDS``), and
the process exits 0.
"""

from __future__ import annotations

import errno
import logging
import signal
import socket
import threading
from types import FrameType
from typing import NoReturn

import click
import sqlalchemy.exc
import uvicorn

from archivist.core.errors import StorageError, UsageError
from archivist.server.app import create_app
from archivist.server.config import ServerConfig, require_database_folder, shown_db_url
from archivist.server.request_log import configure_request_logging

GRACEFUL_SECONDS = 30


def serve(config: ServerConfig, host: str, port: int, log_requests: bool = True) -> None:
    _exit_cleanly_on_stop_signals()
    configure_request_logging(logging.INFO if log_requests else logging.WARNING)
    require_database_folder(config.db_url)
    listening = listen_on(host, port)
    try:
        app = create_app(config)
    except sqlalchemy.exc.OperationalError as error:
        listening.close()
        raise StorageError(f"cannot open the database {shown_db_url(config.db_url)}: {error.orig}") from None
    except BaseException:
        listening.close()
        raise
    url = f"http://{host}:{listening.getsockname()[1]}"
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
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
            server_header=False,
        )
    )
    server.run(sockets=[listening])
    if not server.started:
        raise StorageError(f"the server on {url} stopped while starting; its log above says why")


def listen_on(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and already listening, or one line saying why not."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise UsageError(
            f"cannot listen on host {host!r}: {error.strerror}; use an address of this machine"
        ) from None
    listening = socket.socket(family, kind, proto)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(2048)
    except OSError as error:
        listening.close()
        if error.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is in use by another process: stop it or choose another --port"
            ) from None
        raise UsageError(f"cannot listen on port {port} on {host}: {error.strerror}") from None
    return listening


def _stop(_signum: int, _frame: FrameType | None) -> NoReturn:
    raise SystemExit(0)


def _exit_cleanly_on_stop_signals() -> None:
    """After its graceful shutdown uvicorn restores the previous signal handlers and
    raises the signal again; with these handlers that ends the process with status 0
    (and a signal during start-up stops it at once)."""
    if threading.current_thread() is threading.main_thread():
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, _stop)
