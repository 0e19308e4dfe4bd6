"""Reading the audit trail: a collection's history, newest first, and time travel --
which version a selector (an alias, ``latest`` or ``vN``) named at a given moment.

Both are single indexed statements over ``artifact_events`` (by collection and id, and by
collection, alias and time), so they stay fast however long the history grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, or_, select

from archivist.core.artifact_events import ArtifactEvent, parse_moment, validate_event_types
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError
from archivist.core.models import VersionRecord, VersionState
from archivist.core.names import is_version_alias
from archivist.metadata.schema import artifact_events, versions
from archivist.service.collections import find_collection
from archivist.service.records import versions_by_id
from archivist.service.timestamps import to_iso
from archivist.service.validation import validate_count

MAX_HISTORY_PAGE = 1000
_PENDING = VersionState.PENDING.value
_after = versions.alias("after_version")
_before = versions.alias("before_version")


def _collection(connection: Connection, entity: str, project: str, name: str) -> Row[Any]:
    row = find_collection(connection, entity, project, name, lock=False)
    if row is None:
        raise ArtifactNotFoundError(f"artifact collection '{entity}/{project}/{name}' not found")
    return row


def resolve_version_as_of(
    connection: Connection, entity: str, project: str, collection: str, selector: str, as_of: object
) -> VersionRecord:
    """The version ``selector`` named at ``as_of``: an alias's holder then (from its last
    event at or before that moment), or ``vN`` if it existed then (created, not yet deleted)."""
    moment = parse_moment(as_of)
    row = _collection(connection, entity, project, collection)
    shown = f"'{entity}/{project}/{collection}:{selector}'"
    when = to_iso(moment)
    if isinstance(selector, str) and is_version_alias(selector):
        found = connection.execute(
            select(versions.c.id).where(
                versions.c.collection_id == row.id,
                versions.c.version_index == int(selector[1:]),
                versions.c.state != _PENDING,
                versions.c.created_at <= moment,
                or_(versions.c.deleted_at.is_(None), versions.c.deleted_at > moment),
            )
        ).scalar()
        if found is None:
            raise ArtifactNotFoundError(f"artifact {shown} did not exist as of {when}")
        return versions_by_id(connection, [found])[0]
    if not isinstance(selector, str) or not selector:
        raise InvalidInputError(f"invalid selector {selector!r}: use an alias or vN")
    last = connection.execute(
        select(artifact_events.c.version_id, artifact_events.c.created_at)
        .where(
            artifact_events.c.collection_id == row.id,
            artifact_events.c.alias == selector,
            artifact_events.c.created_at <= moment,
        )
        .order_by(artifact_events.c.created_at.desc(), artifact_events.c.id.desc())
        .limit(1)
    ).first()
    if last is None:
        first = connection.execute(
            select(artifact_events.c.created_at)
            .where(artifact_events.c.collection_id == row.id, artifact_events.c.alias == selector)
            .order_by(artifact_events.c.created_at, artifact_events.c.id)
            .limit(1)
        ).scalar()
        since = "; it was never set" if first is None else f"; it was first set at {to_iso(first)}"
        raise ArtifactNotFoundError(
            f"artifact {shown} not found as of {when}: no version held {selector!r}{since}"
        )
    if last.version_id is None:
        raise ArtifactNotFoundError(
            f"artifact {shown} not found as of {when}: the alias {selector!r} was removed at "
            f"{to_iso(last.created_at)} and not set again before then"
        )
    return versions_by_id(connection, [last.version_id])[0]


def collection_history(
    connection: Connection,
    entity: str,
    project: str,
    collection: str,
    alias: str | None = None,
    event_types: Sequence[str] = (),
    before: int | None = None,
    limit: int = 50,
) -> list[ArtifactEvent]:
    """The collection's events, newest first; ``before`` (an event id) continues a page."""
    validate_count(before, "before", optional=True)
    if validate_count(limit, "limit") > MAX_HISTORY_PAGE or limit == 0:
        raise InvalidInputError(f"invalid limit {limit!r}: use 1 to {MAX_HISTORY_PAGE}")
    if alias is not None and (not isinstance(alias, str) or not alias):
        raise InvalidInputError(f"invalid alias {alias!r}: use an alias name or None")
    kinds = validate_event_types(event_types)
    row = _collection(connection, entity, project, collection)
    events = artifact_events.c
    statement = (
        select(
            events.id,
            events.event_type,
            events.created_at,
            events.actor,
            events.alias,
            events.tag,
            events.note,
            _after.c.version_index.label("after_index"),
            _before.c.version_index.label("before_index"),
        )
        .outerjoin(_after, _after.c.id == events.version_id)
        .outerjoin(_before, _before.c.id == events.previous_version_id)
        .where(
            or_(
                events.collection_id == row.id,  # and its registry's protected-alias changes
                and_(events.collection_id.is_(None), events.project_id == row.project_id),
            )
        )
    )
    if alias is not None:
        statement = statement.where(events.alias == alias)
    if kinds:
        statement = statement.where(events.event_type.in_(kinds))
    if before is not None:
        statement = statement.where(events.id < before)
    statement = statement.order_by(events.id.desc()).limit(limit)
    return [
        ArtifactEvent(
            id=found.id,
            event_type=found.event_type,
            created_at=to_iso(found.created_at),
            actor=found.actor,
            entity=entity,
            project=project,
            collection=row.name,
            alias=found.alias,
            tag=found.tag,
            version=None if found.after_index is None else f"v{found.after_index}",
            previous_version=None if found.before_index is None else f"v{found.before_index}",
            note=found.note,
        )
        for found in connection.execute(statement)
    ]
