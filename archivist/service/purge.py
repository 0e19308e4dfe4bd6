"""Purging soft-deleted versions whose grace period has passed: their rows go for good.

A version is *purgeable* when it is soft-deleted (state ``DELETED``) since before the
cutoff and no live link in a registry names it as its source. Purging removes its aliases,
tags, lineage edges and blob rows, then its row; its collection's ``next_version_index``
is untouched, so its number is never reused.

Blob rows extend a base (``blob_rows``): a version built on a purged one must not lose the
blobs it reached through it. So before a purged version's rows go, they are copied to the
versions built directly on it, which take over its base: the union of rows up every
remaining chain is unchanged, and the collector keeps exactly what it kept before (the
blobs a later version dropped stay while a version of the chain that had them, or one
built on it, lives; at most ``blob_rows.MAX_CHAIN`` versions). Versions are purged in
ascending id order (a base is older than what is built on it), so a purged chain hands
its rows down step by step.

Each batch is one transaction holding the collector's lock (``locks``) and re-reading the
candidates in it: a restore that commits first makes a version live again (it is skipped);
a restore after it finds no version (``ArtifactNotFoundError``). A purge killed between
batches leaves whole batches done and the rest untouched; the next run finishes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from archivist.core.models import VersionState
from archivist.metadata.engine import is_postgresql, write_transaction
from archivist.metadata.schema import (
    aliases,
    collections,
    entities,
    logged_edges,
    projects,
    used_edges,
    version_blobs,
    version_tags,
    versions,
)
from archivist.service.locks import exclude_blob_referencing

_DELETED = VersionState.DELETED.value
BATCH_SIZE = 200


def purgeable(cutoff: dt.datetime) -> ColumnElement[bool]:
    """Versions the collector purges: soft-deleted before ``cutoff``, named by no live link."""
    link = versions.alias("live_link")
    live_link = exists().where(link.c.source_version_id == versions.c.id, link.c.state != _DELETED)
    deleted_at = func.coalesce(versions.c.deleted_at, versions.c.updated_at)
    return and_(versions.c.state == _DELETED, deleted_at <= cutoff, ~live_link)


@dataclass(frozen=True)
class Plan:
    """What a purge at a cutoff removes."""

    ids: frozenset[int]
    """The purgeable versions: their rows, aliases, edges and manifests go."""
    dead: frozenset[int]
    """Those whose blob rows go too: no version that stays is built on them (directly or
    through other purged ones); the others' rows are handed down."""
    names: tuple[str, ...]
    kept_deleted: int
    """Soft-deleted versions it keeps (in their grace period, or named by a live link)."""


def plan(connection: Connection, cutoff: dt.datetime) -> Plan:
    """The purge at ``cutoff``, computed without changing anything."""
    ids = list(
        connection.execute(select(versions.c.id).where(purgeable(cutoff)).order_by(versions.c.id)).scalars()
    )
    deleted = connection.execute(
        select(func.count()).select_from(versions).where(versions.c.state == _DELETED)
    ).scalar_one()
    gone = frozenset(ids)
    children: dict[int, list[int]] = {}
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        for child, base in connection.execute(
            select(versions.c.id, versions.c.base_version_id).where(versions.c.base_version_id.in_(part))
        ):
            children.setdefault(base, []).append(child)
    handed_down: set[int] = set()
    for version_id in reversed(ids):  # what is built on a version has a larger id
        if any(c not in gone or c in handed_down for c in children.get(version_id, ())):
            handed_down.add(version_id)
    names = tuple(version_names(connection, ids))
    return Plan(gone, gone - frozenset(handed_down), names, int(deleted) - len(ids))


def purge(engine: Engine, cutoff: dt.datetime, batch_size: int | None = None) -> list[str]:
    """Purge every purgeable version, ``batch_size`` (``BATCH_SIZE``) per transaction;
    returns their names."""
    batch_size = batch_size or BATCH_SIZE
    purged: list[str] = []
    while True:
        with write_transaction(engine) as connection:
            exclude_blob_referencing(connection)
            candidates = (
                select(versions.c.id).where(purgeable(cutoff)).order_by(versions.c.id).limit(batch_size)
            )
            if is_postgresql(connection):  # a restore racing us waits, then finds nothing
                candidates = candidates.with_for_update(of=versions)
            ids = list(connection.execute(candidates).scalars())
            if not ids:
                return purged
            purged.extend(version_names(connection, ids))
            _purge_rows(connection, ids)


def _purge_rows(connection: Connection, ids: Sequence[int]) -> None:
    bases = set(
        connection.execute(
            select(versions.c.base_version_id).where(versions.c.base_version_id.in_(ids)).distinct()
        ).scalars()
    )
    for version_id in sorted(bases):
        _hand_rows_down(connection, version_id)
    for table, column in (
        (aliases, aliases.c.version_id),
        (version_tags, version_tags.c.version_id),
        (version_blobs, version_blobs.c.version_id),
        (logged_edges, logged_edges.c.version_id),
        (used_edges, used_edges.c.version_id),
    ):
        connection.execute(delete(table).where(column.in_(ids)))
    connection.execute(delete(versions).where(versions.c.id.in_(ids)))


def _hand_rows_down(connection: Connection, version_id: int) -> None:
    """Copy ``version_id``'s blob rows to the versions built on it, which take its base."""
    base = connection.execute(select(versions.c.base_version_id).where(versions.c.id == version_id)).scalar()
    children = list(
        connection.execute(select(versions.c.id).where(versions.c.base_version_id == version_id)).scalars()
    )
    own = version_blobs.alias("own")
    for child in children:
        held = exists().where(version_blobs.c.version_id == child, version_blobs.c.digest == own.c.digest)
        rows = select(literal(child), own.c.digest).where(own.c.version_id == version_id, ~held)
        connection.execute(insert(version_blobs).from_select(["version_id", "digest"], rows))
    connection.execute(update(versions).where(versions.c.id.in_(children)).values(base_version_id=base))


def version_names(connection: Connection, ids: Sequence[int]) -> list[str]:
    """``entity/project/collection:vN`` of each version id (in id order)."""
    names: list[str] = []
    for start in range(0, len(ids), 5000):
        rows = connection.execute(
            select(entities.c.name, projects.c.name, collections.c.name, versions.c.version_index)
            .join(collections, collections.c.id == versions.c.collection_id)
            .join(projects, projects.c.id == collections.c.project_id)
            .join(entities, entities.c.id == projects.c.entity_id)
            .where(versions.c.id.in_(ids[start : start + 5000]))
            .order_by(versions.c.id)
        )
        names.extend(f"{e}/{p}/{c}:v{n}" for e, p, c, n in rows)
    return names


NOTHING = Plan(frozenset(), frozenset(), (), 0)
"""No purge planned: every version row holds its blobs (the real run, after purging)."""
