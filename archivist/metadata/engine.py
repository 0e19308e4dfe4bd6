"""Opening the metadata database: SQLite (embedded) or PostgreSQL (server).

SQLite is tuned for several processes writing at once: WAL, a 30 s busy
timeout and foreign keys on; ``synchronous=FULL``, so that every commit is on stable
storage when it returns (in WAL mode ``NORMAL`` syncs only at checkpoints: a power cut
loses the last commits, such as a version reported committed). pysqlite's own
transaction handling is switched off and every write transaction starts with
``BEGIN IMMEDIATE``, so writers queue on the database lock at the start of a
transaction instead of failing when a read turns into a write. Read
transactions (``read_transaction``) use a plain deferred ``BEGIN`` and never
wait for writers.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from archivist.core import json_values
from archivist.core.errors import InvalidInputError, NoSpaceError

READ_ONLY_OPTION = "archivist_read_only"
"""Execution option marking a connection whose transaction only reads."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
_SUPPORTED = "'sqlite:///path/to/meta.sqlite' or 'postgresql://user@host:port/database'"


def create_metadata_engine(url: str) -> Engine:
    """An Engine for ``url`` with Archivist's connection settings, without migrating."""
    if not isinstance(url, str) or "://" not in url:
        raise InvalidInputError(f"invalid database URL {url!r}: use {_SUPPORTED}")
    scheme = url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        return _sqlite_engine(url)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return _postgresql_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    raise InvalidInputError(f"unsupported database URL scheme {scheme!r} in {url!r}: use {_SUPPORTED}")


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, json_serializer=json_values.dumps
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    event.listen(engine, "handle_error", _no_space_as_error)
    return engine


SQLITE_CACHE_KIB = 32 << 10
"""Each SQLite connection's page cache, at most."""


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see _begin_sqlite_transaction
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # A version of 20,000 files adds 20,000 random keys to the blob-digest index; with
        # SQLite's default 2 MB page cache that costs ~25% more than with this (pages are
        # taken as needed, up to the limit).
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _postgresql_engine(url: str) -> Engine:
    from archivist.metadata.schema import add_postgresql_options

    if importlib.util.find_spec("psycopg") is None:
        raise InvalidInputError(
            "a PostgreSQL database needs the psycopg package: pip install 'psycopg[binary]'"
        )
    add_postgresql_options()
    engine = create_engine(
        url, pool_size=10, max_overflow=20, pool_recycle=1800, json_serializer=json_values.dumps
    )
    event.listen(engine, "handle_error", _no_space_as_error)
    return engine


SQLITE_DISK_FULL_CODES = frozenset({13, 4874})
"""``SQLITE_FULL``, and ``SQLITE_IOERR_SHMSIZE`` (no room to open a database's shared-memory file)."""
POSTGRESQL_DISK_FULL = "53100"


def _no_space_as_error(context: Any) -> None:
    """The database's "disk full" becomes ``NoSpaceError`` (the transaction is rolled back:
    nothing of it was written). The message names no path: it may reach a server's clients."""
    original = context.original_exception
    full = getattr(original, "sqlite_errorcode", None) in SQLITE_DISK_FULL_CODES
    if full or getattr(original, "sqlstate", None) == POSTGRESQL_DISK_FULL:
        raise NoSpaceError(
            f"no space left on the disk of the metadata database; nothing was written: {NoSpaceError.HINT}"
        ) from None


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that may write; committed on success, rolled back on error."""
    with engine.begin() as connection:
        yield connection


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """One consistent read-only snapshot (never takes SQLite's write lock)."""
    with engine.connect() as connection:
        connection.execution_options(**{READ_ONLY_OPTION: True})
        with connection.begin():
            yield connection


def is_postgresql(connection: Connection | Engine) -> bool:
    return connection.dialect.name == "postgresql"
