"""The collector: purge soft-deleted versions past their grace period, then delete the blobs
nothing holds any more, then upkeep of the store. ``archivist gc``, the server's interval.

A run is a list of ordered steps, each safe on its own, so a run killed at any point leaves a
consistent store and the next run finishes the work:

1. **sweep** (if given): soft-delete what expired (TTLs, retention rules);
2. **purge** (``purge``): remove the rows of versions soft-deleted before ``now - grace``,
   a batch per transaction, handing their blob rows down to the versions built on them;
3. **blobs**: walk the store in batches and delete the blobs nothing holds;
4. **upkeep**: compact packs whose live share fell under half, drop staged uploads and
   multipart uploads older than the grace (at least an hour, at most a day), and temp files
   of killed writers.

What holds a blob (never deleted while it does): a blob row of any version row (soft-deleted
versions too: they can be restored until purged; see ``blob_rows``), being some version's
manifest, a run file, a live upload grant (an upload on a server not yet committed,
``blob_access``), or being younger than the blob grace (``min(grace, 1h)``: on an embedded
store a log in flight has written its blobs but not committed; a blob's age is its write
time on a folder store, else when the collector first found it unreferenced, in
``gc_marks``).

Why a commit never loses a blob to the collector (the protocol): a commit checks that every
blob it names is held and inserts its rows in one transaction that takes the blob-reference
lock shared (``locks.guard_blob_references``; on SQLite the database's write lock); each
batch of the collector decides *and deletes* while holding that lock exclusively. So either
the commit's rows exist before the batch decides (the blobs are held), or the batch deleted
first and the commit sees the blob missing and fails cleanly (``BlobNotFoundError``), never
committing a version whose blob is gone. A dedup hit reuses an identical committed version,
whose rows hold its blobs. A restore makes a soft-deleted version live again in one
transaction; the purge re-reads its candidates under row locks, so the version is either
restored (and kept, with its rows) or purged (and the restore finds nothing). Downloads read
blobs of live versions only, which nothing deletes.

The dry run reads the same things without writing: the purge plan is the purgeable
versions (``purge.plan``: which go, and which of them hand their blob rows down), and the
blob step asks what would be held once they are gone, so on an unchanged store the plan
equals the real run's result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select

from archivist.core.collector import (
    BLOB_GRACE_SECONDS,
    DEFAULT_GRACE_SECONDS,
    STAGED_UPLOAD_GRACE_SECONDS,
    GcReport,
    validate_grace,
)
from archivist.core.errors import NoSpaceError
from archivist.metadata.engine import read_transaction, write_transaction
from archivist.metadata.schema import gc_marks, run_files, versions
from archivist.service import blob_access, blob_rows, expiry_sweep, purge
from archivist.service.locks import exclude_blob_referencing, one_collector
from archivist.service.timestamps import utc_now
from archivist.storage.base import BlobStore

BATCH_SIZE = 500
LEFTOVER_MIN_AGE_SECONDS = 3600.0
"""A temp file or an unindexed pack this recent may belong to a write in progress."""

SweepStep = Callable[[Engine, dt.datetime, bool], int]
"""Soft-deletes what expired at the given time (or, with ``dry_run`` True, only counts
it); returns how many versions."""


def expiry_step(engine: Engine, now: dt.datetime, dry_run: bool) -> int:
    """The lifecycle's sweep (``service.expiry_sweep``): expired TTLs and retention rules."""
    return len(expiry_sweep.sweep(engine, now, dry_run=dry_run).deleted)


@dataclass(frozen=True)
class _Removed:
    blobs: int = 0
    bytes: int = 0


def _run(
    engine: Engine,
    store: BlobStore,
    grace_seconds: float,
    dry_run: bool,
    sweep: SweepStep | None,
    now: dt.datetime | None,
    batch_size: int,
    blob_grace_seconds: float | None,
    lease_wait: bool,
) -> GcReport | None:
    grace = validate_grace(grace_seconds)
    now = now or utc_now()
    cutoff = now - dt.timedelta(seconds=grace)
    blob_grace = (
        min(grace, BLOB_GRACE_SECONDS) if blob_grace_seconds is None else validate_grace(blob_grace_seconds)
    )
    if dry_run:
        swept = 0 if sweep is None else sweep(engine, now, True)
        with read_transaction(engine) as connection:
            planned = purge.plan(connection, cutoff)
        removed = _collect_blobs(engine, store, blob_grace, batch_size, planned, delete=False)
        return GcReport(
            True, grace, swept, planned.names, removed.blobs, removed.bytes, 0, 0, 0, planned.kept_deleted
        )
    with one_collector(engine, wait=lease_wait) as held:
        if not held:
            return None
        swept = 0 if sweep is None else sweep(engine, now, False)
        purged = purge.purge(engine, cutoff)
        with write_transaction(engine) as connection:
            blob_access.drop_expired_grants(connection)
            kept_deleted = purge.plan(connection, cutoff).kept_deleted
        removed = _collect_blobs(engine, store, blob_grace, batch_size, purge.NOTHING, delete=True)
        compacted, dropped, leftovers = _upkeep(store, grace)
    return GcReport(
        False,
        grace,
        swept,
        tuple(purged),
        removed.blobs,
        removed.bytes,
        compacted,
        dropped,
        leftovers,
        kept_deleted,
    )


def run_collection(
    engine: Engine,
    store: BlobStore,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    *,
    dry_run: bool = False,
    sweep: SweepStep | None = None,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    blob_grace_seconds: float | None = None,
) -> GcReport:
    """One run of the collector (see the module docstring); ``dry_run`` changes nothing.
    ``blob_grace_seconds``: the age below which an unreferenced blob is kept (default
    ``min(grace, 1h)``). A run waits for another process's run to end (one at a time)."""
    report = _run(engine, store, grace_seconds, dry_run, sweep, now, batch_size, blob_grace_seconds, True)
    assert report is not None
    return report


def run_if_idle(
    engine: Engine, store: BlobStore, grace_seconds: float, sweep: SweepStep | None = None
) -> GcReport | None:
    """A run, unless another process (another replica of the server) is running one: None."""
    return _run(engine, store, grace_seconds, False, sweep, None, BATCH_SIZE, None, False)


def collect_garbage(
    engine: Engine,
    store: BlobStore,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    batch_size: int = BATCH_SIZE,
) -> int:
    """A real run; returns how many blobs were deleted."""
    return run_collection(engine, store, grace_seconds, batch_size=batch_size).removed_blobs


def _collect_blobs(
    engine: Engine,
    store: BlobStore,
    blob_grace: float,
    batch_size: int,
    gone: purge.Plan,
    delete: bool,
) -> _Removed:
    total = _Removed()
    batch: list[str] = []
    for digest in store.iter_digests():
        batch.append(digest)
        if len(batch) >= batch_size:
            total = _add(total, _batch(engine, store, batch, blob_grace, gone, delete))
            batch = []
    if batch:
        total = _add(total, _batch(engine, store, batch, blob_grace, gone, delete))
    return total


def _add(total: _Removed, more: _Removed) -> _Removed:
    return _Removed(total.blobs + more.blobs, total.bytes + more.bytes)


def _batch(
    engine: Engine,
    store: BlobStore,
    batch: Sequence[str],
    blob_grace: float,
    gone: purge.Plan,
    delete_them: bool,
) -> _Removed:
    now = utc_now()
    cutoff = now - dt.timedelta(seconds=blob_grace)
    transaction = write_transaction if delete_them else read_transaction
    with transaction(engine) as connection:
        if delete_them:
            exclude_blob_referencing(connection)
        referenced = _referenced(connection, batch, gone)
        unreferenced = [digest for digest in batch if digest not in referenced]
        if referenced and delete_them:
            connection.execute(delete(gc_marks).where(gc_marks.c.digest.in_(referenced)))
        first_seen = dict(
            connection.execute(
                select(gc_marks.c.digest, gc_marks.c.first_seen).where(gc_marks.c.digest.in_(unreferenced))
            ).all()
        )
        new = _blob_times(store, [digest for digest in unreferenced if digest not in first_seen], now)
        if new and delete_them:
            connection.execute(insert(gc_marks), [{"digest": d, "first_seen": t} for d, t in new.items()])
        first_seen.update(new)
        due = [digest for digest in unreferenced if first_seen[digest] <= cutoff]
        size = sum(store.sizes(due).values()) if due else 0
        if due and delete_them:
            store.delete_many(due)  # a folder store's packed blobs: one index transaction for the batch
            connection.execute(delete(gc_marks).where(gc_marks.c.digest.in_(due)))
    return _Removed(len(due), size)


def _referenced(connection: Connection, batch: Sequence[str], gone: purge.Plan) -> set[str]:
    """The blobs of ``batch`` something holds once the planned purge ``gone`` is done."""
    manifests = connection.execute(
        select(versions.c.manifest_digest, versions.c.id).where(versions.c.manifest_digest.in_(batch))
    )
    named = {digest for digest, version_id in manifests if version_id not in gone.ids}
    named.update(
        connection.execute(select(run_files.c.digest).where(run_files.c.digest.in_(batch))).scalars()
    )
    named |= blob_rows.referenced(connection, batch, gone.dead)
    return named | blob_access.granted_blobs(connection, batch)


def _upkeep(store: BlobStore, grace: float) -> tuple[int, int, int]:
    """Compacted bytes, staged uploads dropped, leftover bytes removed."""
    compacted = 0
    with contextlib.suppress(NoSpaceError):  # compacting needs room: the next collection does it
        compacted = store.compact_packs()
    # an upload (or a folder store's temp file) this recent may still complete: at least an hour
    stale = store.clean_stale_uploads(max(min(grace, STAGED_UPLOAD_GRACE_SECONDS), LEFTOVER_MIN_AGE_SECONDS))
    return compacted, stale.aborted_uploads + stale.deleted_staged, stale.reclaimed_bytes


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
