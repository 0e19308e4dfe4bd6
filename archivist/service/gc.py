"""Garbage collection of blobs nothing references any more.

A blob is kept while the manifest of a version that is not deleted names it (read from
the versions' blob rows, see ``blob_rows``), while it is such a manifest itself, or while
a run file points at it, or while a user's upload of it is not yet committed and not
expired (``blob_access``). An
unreferenced blob is deleted only once it is older than the grace period, so
the blobs of a log still uploading (not committed yet) survive. A blob's age is
when it was written on a folder store (its file's mtime, or its pack's time);
elsewhere it is when the collector first found it unreferenced (remembered in
``gc_marks``).

The store is walked in batches, so memory stays bounded by the batch size. Each
batch is decided and deleted while commits are locked out (see ``locks``): a
commit either sees its blobs gone and fails cleanly, or references them first.

On a folder store the collection ends with upkeep: packs whose live bytes fell under
half are compacted (unless that would not fit outside the store's reserve of free space:
a collection on a full disk frees what it can), and files left by killed writers (temp
files, unindexed packs) older than the grace period (at least ``LEFTOVER_MIN_AGE_SECONDS``)
are removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, delete, insert, select, union

from archivist.core.errors import InvalidInputError, NoSpaceError
from archivist.core.models import VersionState
from archivist.metadata.engine import write_transaction
from archivist.metadata.schema import gc_marks, run_files, versions
from archivist.service import blob_access, blob_rows
from archivist.service.locks import exclude_blob_referencing
from archivist.service.timestamps import utc_now
from archivist.storage.base import BlobStore

DEFAULT_GRACE_SECONDS = 3600.0
BATCH_SIZE = 500
LEFTOVER_MIN_AGE_SECONDS = 3600.0
"""A temp file or an unindexed pack this recent may belong to a write in progress."""


def collect_garbage(
    engine: Engine,
    store: BlobStore,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Delete unreferenced blobs older than ``grace_seconds``; returns how many were deleted."""
    if isinstance(grace_seconds, bool) or not isinstance(grace_seconds, (int, float)) or grace_seconds < 0:
        raise InvalidInputError(f"invalid grace period {grace_seconds!r}: use a number of seconds >= 0")
    with write_transaction(engine) as connection:
        blob_access.drop_expired_grants(connection)
    deleted = 0
    batch: list[str] = []
    for digest in store.iter_digests():
        batch.append(digest)
        if len(batch) >= batch_size:
            deleted += _sweep(engine, store, batch, grace_seconds)
            batch = []
    if batch:
        deleted += _sweep(engine, store, batch, grace_seconds)
    with contextlib.suppress(NoSpaceError):  # compacting needs room: the next collection does it
        store.compact_packs()
    store.cleanup_temp(max(grace_seconds, LEFTOVER_MIN_AGE_SECONDS))
    return deleted


def _sweep(engine: Engine, store: BlobStore, batch: Sequence[str], grace_seconds: float) -> int:
    now = utc_now()
    cutoff = now - dt.timedelta(seconds=grace_seconds)
    with write_transaction(engine) as connection:
        exclude_blob_referencing(connection)
        referenced = _referenced(connection, batch)
        unreferenced = [digest for digest in batch if digest not in referenced]
        if referenced:
            connection.execute(delete(gc_marks).where(gc_marks.c.digest.in_(referenced)))
        first_seen = dict(
            connection.execute(
                select(gc_marks.c.digest, gc_marks.c.first_seen).where(gc_marks.c.digest.in_(unreferenced))
            ).all()
        )
        new = _blob_times(store, [digest for digest in unreferenced if digest not in first_seen], now)
        if new:
            connection.execute(insert(gc_marks), [{"digest": d, "first_seen": t} for d, t in new.items()])
        first_seen.update(new)
        due = [digest for digest in unreferenced if first_seen[digest] <= cutoff]
        store.delete_many(due)  # a folder store's packed blobs: one index transaction for the batch
        if due:
            connection.execute(delete(gc_marks).where(gc_marks.c.digest.in_(due)))
    return len(due)


def _referenced(connection: Connection, batch: Sequence[str]) -> set[str]:
    live = versions.c.state != VersionState.DELETED.value
    statement = union(
        select(versions.c.manifest_digest).where(versions.c.manifest_digest.in_(batch), live),
        select(run_files.c.digest).where(run_files.c.digest.in_(batch)),
    )
    named = set(connection.execute(statement).scalars()) | blob_rows.referenced(connection, batch)
    return named | blob_access.granted_blobs(connection, batch)


def _blob_times(store: BlobStore, digests: Sequence[str], now: dt.datetime) -> dict[str, dt.datetime]:
    """When each blob was written, as far as the store can tell; ``now`` when it cannot."""
    if not digests:
        return {}
    written = store.blob_times(digests)
    times = {}
    for digest in digests:
        seconds = written.get(digest)
        at = now if seconds is None else dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        times[digest] = min(at, now)
    return times
