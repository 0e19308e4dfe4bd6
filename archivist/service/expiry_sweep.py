"""The sweep: soft-delete the versions whose TTL ran out and those their collection's
retention rule lets go (``core.lifecycle``), as ``artifact.delete(delete_aliases=True)``
would, so they stay restorable until the collector purges them.

``sweep(engine, now)`` decides from one read snapshot, then deletes each version in a
transaction of its own through ``versions.delete_version`` after the protected aliases'
guard (``alias_guard.check_deletion``, as no registry admin): a version the guard refuses
is skipped and reported. A version deleted or changed meanwhile is skipped the same way; the next sweep
sees the new state. Time is an argument, so tests move it instead of sleeping.

Retention keeps, whatever the rule says: versions holding an alias other than ``latest``,
versions linked to a registry, and the versions used by a run that logged a version that
stays (the inputs of what is kept), found to a fixed point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, and_, or_, select

from archivist.core.errors import ArchivistError
from archivist.core.lifecycle import GENERATED_TYPES, TTL_INHERIT, RetentionRule, SweepReport, SweptVersion
from archivist.core.models import VersionState
from archivist.core.paths import LATEST
from archivist.metadata.engine import read_transaction, write_transaction
from archivist.metadata.schema import (
    LIVE_COLLECTION,
    aliases,
    collections,
    entities,
    logged_edges,
    projects,
    used_edges,
    versions,
)
from archivist.service.alias_guard import Actor, check_deletion
from archivist.service.records import chunked
from archivist.service.timestamps import utc_now
from archivist.service.versions import delete_version

_COMMITTED = VersionState.COMMITTED.value
SWEEPER = Actor("(sweep)", lambda registry: False)
"""The sweep is no registry admin: a version holding a protected alias is never swept."""
EXPIRED = "expired"
RETENTION = "retention"


def sweep(
    engine: Engine, now: dt.datetime | None = None, entity: str | None = None, dry_run: bool = False
) -> SweepReport:
    """Soft-delete what is due at ``now`` (default: the current time), in ``entity`` or in
    every entity; ``dry_run`` deletes nothing and reports the same plan."""
    moment = now or utc_now()
    with read_transaction(engine) as connection:
        due = dict.fromkeys(_expired(connection, moment, entity), EXPIRED)
        for rule_row in _ruled_collections(connection, entity):
            for version_id in _let_go(connection, rule_row, moment, set(due)):
                due.setdefault(version_id, RETENTION)
        names = _names(connection, list(due))
    if dry_run:
        return SweepReport(tuple(SweptVersion(str(i), names[i], why) for i, why in due.items()), dry_run=True)
    deleted: list[SweptVersion] = []
    skipped: list[str] = []
    for version_id, why in due.items():
        try:
            with write_transaction(engine) as connection:
                check_deletion(connection, SWEEPER, [version_id])
                delete_version(connection, str(version_id), delete_aliases=True)
        except ArchivistError as error:
            skipped.append(f"{names[version_id]}: {error}")
            continue
        deleted.append(SweptVersion(str(version_id), names[version_id], why))
    return SweepReport(tuple(deleted), tuple(skipped))


def _in_scope(entity: str | None) -> Any:
    """Committed, non-link versions of live collections (of ``entity`` when given)."""
    clause = and_(versions.c.state == _COMMITTED, versions.c.source_version_id.is_(None), LIVE_COLLECTION)
    return clause if entity is None else and_(clause, entities.c.name == entity)


def _joined(statement: Any) -> Any:
    return statement.select_from(
        versions.join(collections, collections.c.id == versions.c.collection_id)
        .join(projects, projects.c.id == collections.c.project_id)
        .join(entities, entities.c.id == projects.c.entity_id)
    )


def _expired(connection: Connection, now: dt.datetime, entity: str | None) -> list[int]:
    """Versions whose own TTL ran out, and those inheriting a team default that did."""
    own = _joined(select(versions.c.id)).where(
        _in_scope(entity), versions.c.ttl_seconds > 0, versions.c.expires_at <= now
    )
    found = list(connection.execute(own.order_by(versions.c.id)).scalars())
    defaults = select(entities.c.name, entities.c.default_ttl_seconds).where(
        entities.c.default_ttl_seconds.is_not(None)
    )
    if entity is not None:
        defaults = defaults.where(entities.c.name == entity)
    for name, seconds in connection.execute(defaults).all():
        inherited = _joined(select(versions.c.id)).where(
            _in_scope(name),
            or_(versions.c.ttl_seconds.is_(None), versions.c.ttl_seconds == TTL_INHERIT),
            versions.c.created_at <= now - dt.timedelta(seconds=int(seconds)),
            collections.c.type.not_in(GENERATED_TYPES),
            collections.c.type.not_like("wandb-%"),
        )
        found.extend(connection.execute(inherited.order_by(versions.c.id)).scalars())
    return found


def _ruled_collections(connection: Connection, entity: str | None) -> list[Any]:
    statement = (
        select(collections.c.id, collections.c.retention_keep_last, collections.c.retention_max_age_seconds)
        .join(projects, projects.c.id == collections.c.project_id)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(
            LIVE_COLLECTION,
            or_(
                collections.c.retention_keep_last.is_not(None),
                collections.c.retention_max_age_seconds.is_not(None),
            ),
        )
        .order_by(collections.c.id)
    )
    if entity is not None:
        statement = statement.where(entities.c.name == entity)
    return list(connection.execute(statement).all())


def _let_go(connection: Connection, rule_row: Any, now: dt.datetime, doomed: set[int]) -> list[int]:
    """The versions of one collection its rule lets go, less those always kept. ``doomed``
    (what this sweep deletes already) grows by them."""
    rule = RetentionRule(rule_row.retention_keep_last, rule_row.retention_max_age_seconds)
    rows = connection.execute(
        select(versions.c.id, versions.c.created_at)
        .where(
            versions.c.collection_id == rule_row.id,
            versions.c.state == _COMMITTED,
            versions.c.source_version_id.is_(None),
        )
        .order_by(versions.c.version_index.desc())
    ).all()
    oldest_kept = None if rule.max_age_seconds is None else now - dt.timedelta(seconds=rule.max_age_seconds)
    candidates = [
        row.id
        for rank, row in enumerate(rows)
        if row.id not in doomed
        and (
            (rule.keep_last is not None and rank >= rule.keep_last)
            or (oldest_kept is not None and row.created_at < oldest_kept)
        )
    ]
    candidates = [i for i in candidates if i not in _pinned(connection, candidates)]
    kept_inputs = _inputs_of_kept(connection, candidates, doomed)
    while kept_inputs:
        candidates = [i for i in candidates if i not in kept_inputs]
        kept_inputs = _inputs_of_kept(connection, candidates, doomed)
    doomed.update(candidates)
    return candidates


def _pinned(connection: Connection, ids: list[int]) -> set[int]:
    """Versions holding an alias other than ``latest`` or linked to a registry."""
    pinned: set[int] = set()
    for chunk in chunked(ids):
        pinned.update(
            connection.execute(
                select(aliases.c.version_id).where(aliases.c.version_id.in_(chunk), aliases.c.alias != LATEST)
            ).scalars()
        )
        pinned.update(
            connection.execute(
                select(versions.c.source_version_id).where(
                    versions.c.source_version_id.in_(chunk), versions.c.state == _COMMITTED
                )
            ).scalars()
        )
    return pinned


def _inputs_of_kept(connection: Connection, candidates: list[int], doomed: set[int]) -> set[int]:
    """The candidates used by a run that logged a committed version neither a candidate nor
    doomed already."""
    leaving = doomed.union(candidates)
    kept: set[int] = set()
    for chunk in chunked(candidates):
        statement = (
            select(used_edges.c.version_id, logged_edges.c.version_id.label("output"))
            .join(logged_edges, logged_edges.c.run_pk == used_edges.c.run_pk)
            .join(versions, versions.c.id == logged_edges.c.version_id)
            .where(used_edges.c.version_id.in_(chunk), versions.c.state == _COMMITTED)
        )
        kept.update(used for used, output in connection.execute(statement) if output not in leaving)
    return kept


def _names(connection: Connection, ids: Iterable[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in chunked(list(ids)):
        statement = _joined(
            select(
                versions.c.id, entities.c.name, projects.c.name, collections.c.name, versions.c.version_index
            )
        ).where(versions.c.id.in_(chunk))
        for version_id, entity, project, collection, index in connection.execute(statement):
            names[version_id] = f"{entity}/{project}/{collection}:v{index}"
    return names
