"""``archivist server`` and ``archivist db upgrade``: running a team server."""

from __future__ import annotations

import click

from archivist.core.errors import UsageError


@click.command("server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option(
    "--db",
    "db_url",
    required=True,
    help="Metadata database: sqlite:///path/meta.sqlite or postgresql://user@host:5432/db.",
)
@click.option(
    "--store",
    "store_url",
    required=True,
    help="Blob store: a folder path (object-store URLs such as s3://bucket/prefix where supported).",
)
@click.option(
    "--blob-port",
    default=None,
    metavar="PORT|off",
    help="Port of the blob listener that takes large uploads beside the API "
    "[default: ARCHIVIST_BLOB_PORT, else 0: any free port; off: every blob goes through the API].",
)
@click.option(
    "--upload-quota",
    default=None,
    metavar="SIZE|off",
    help="Bytes each user may have uploaded that no commit references yet "
    "[default: ARCHIVIST_UPLOAD_QUOTA, else 100GiB; off: no bound].",
)
@click.option(
    "--gc-interval",
    default=None,
    metavar="DURATION|off",
    help="How often the collector runs (sweep, purge, blobs; one replica at a time) "
    "[default: ARCHIVIST_GC_INTERVAL, else 1h; off: never].",
)
@click.option(
    "--gc-grace",
    default=None,
    metavar="DURATION",
    help="How long a deleted version stays restorable before the collector purges it "
    "[default: ARCHIVIST_GC_GRACE, else 7d].",
)
@click.option(
    "--allow-private-webhooks",
    is_flag=True,
    help="Let webhooks send to loopback, link-local and private addresses "
    "[default: ARCHIVIST_ALLOW_PRIVATE_WEBHOOKS, else public addresses only; ARCHIVIST_WEBHOOK_ALLOW "
    "names hosts and networks allowed one by one].",
)
@click.option(
    "--automation-rate",
    default=None,
    help="How many deliveries one automation may make per window, e.g. 60/min, 1000/h, off; "
    "those over it wait [default: ARCHIVIST_AUTOMATION_RATE, else 60/min].",
)
@click.option("--no-request-log", is_flag=True, help="Do not log one JSON line per request.")
def server_command(
    host: str,
    port: int,
    db_url: str,
    store_url: str,
    blob_port: str | None,
    upload_quota: str | None,
    gc_interval: str | None,
    gc_grace: str | None,
    allow_private_webhooks: bool,
    automation_rate: str | None,
    no_request_log: bool,
) -> None:
    """Serve a shared store to a team over HTTP.

    Migrates the database first. Every request needs an API key: on the first
    start the administrator 'admin' gets the key in ARCHIVIST_ADMIN_KEY, or a new
    key that is printed once. Stops cleanly on SIGTERM or Ctrl-C.
    """
    from dataclasses import replace

    from archivist.core.delivery_rate import rate_from_text
    from archivist.server.config import (
        ServerConfig,
        blob_port_from_text,
        gc_grace_from_text,
        gc_interval_from_text,
        quota_from_text,
    )

    try:
        from archivist.server.run import serve
    except ModuleNotFoundError as missing:
        raise UsageError(
            f"'archivist server' needs {missing.name}: pip install 'archivist[server]'"
        ) from None
    config = replace(ServerConfig.from_env(db_url, store_url), blob_host=host)
    if blob_port is not None:
        config = replace(config, blob_port=blob_port_from_text(blob_port, "--blob-port"))
    if upload_quota is not None:
        config = replace(config, upload_quota=quota_from_text(upload_quota, "--upload-quota"))
    if gc_interval is not None:
        config = replace(config, gc_interval=gc_interval_from_text(gc_interval, "--gc-interval"))
    if gc_grace is not None:
        config = replace(config, gc_grace=gc_grace_from_text(gc_grace, "--gc-grace"))
    if allow_private_webhooks:
        config = replace(config, allow_private_webhooks=True)
    if automation_rate is not None:
        config = replace(config, automation_rate=rate_from_text(automation_rate, "--automation-rate"))
    serve(config, host, port, log_requests=not no_request_log)


@click.group("db")
def db_group() -> None:
    """Maintain a server's metadata database."""


@db_group.command("upgrade")
@click.option("--db", "db_url", required=True, help="sqlite:///path/meta.sqlite or postgresql://...")
def db_upgrade_command(db_url: str) -> None:
    """Apply the schema migrations the database lacks (the server also does this when it starts)."""
    from archivist.metadata.migrate import upgrade_database
    from archivist.server.config import require_database_folder, shown_db_url

    require_database_folder(db_url)
    revision = upgrade_database(db_url)
    click.echo(f"Database {shown_db_url(db_url)} is at schema revision {revision}.")
