"""Locks that keep concurrent writers apart.

Garbage collection must never delete a blob that a commit in flight has just
checked and is about to reference. On SQLite every write transaction holds the
database's write lock (``BEGIN IMMEDIATE``), so the two are serialised already.
On PostgreSQL, transactions that start referencing blobs take a shared advisory
lock and the collector takes it exclusively while it decides and deletes.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

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
