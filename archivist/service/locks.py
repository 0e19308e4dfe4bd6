"""Locks that keep concurrent writers apart.

Garbage collection must never delete a blob that a commit in flight has just
checked and is about to reference. On SQLite every write transaction holds the
database's write lock (``BEGIN IMMEDIATE``), so the two are serialised already.
On PostgreSQL, transactions that start referencing blobs take a shared advisory
lock and the collector takes it exclusively while it decides and deletes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, text

from archivist.metadata.engine import is_postgresql

_BLOB_REFERENCES_KEY = 0x41524342  # any constant shared by every Archivist process


def guard_blob_references(connection: Connection) -> None:
    """Call before checking that blobs exist in a transaction that will reference them."""
    if is_postgresql(connection):
        connection.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": _BLOB_REFERENCES_KEY})


def exclude_blob_referencing(connection: Connection) -> None:
    """Call in the collector's transaction before it decides which blobs are unreferenced."""
    if is_postgresql(connection):
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BLOB_REFERENCES_KEY})


_COLLECTOR_KEY = 0x41524347  # one collection at a time across every replica


@contextlib.contextmanager
def one_collector(engine: Engine, wait: bool = True) -> Iterator[bool]:
    """Hold the collector's lease for a whole run: yields True when held, False when another
    process holds it and ``wait`` is False. On PostgreSQL a session advisory lock (released
    when its connection closes, also when the process is killed); on SQLite every write is
    serialised already and a run's steps are each safe beside another run's, so always True."""
    if not is_postgresql(engine):
        yield True
        return
    with engine.connect() as connection:
        if wait:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _COLLECTOR_KEY})
        elif not connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": _COLLECTOR_KEY}
        ).scalar():
            connection.rollback()
            yield False
            return
        connection.commit()
        try:
            yield True
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _COLLECTOR_KEY})
            connection.commit()
