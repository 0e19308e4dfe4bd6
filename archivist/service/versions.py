"""Reading, editing and deleting committed versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from archivist.core.artifact_events import EventType
from archivist.core.digest_checks import validate_digest
from archivist.core.errors import ArtifactNotFoundError, ConflictError
from archivist.core.ids import parse_version_id
from archivist.core.models import UNSET, VersionQuery, VersionRecord, VersionState, VersionUpdate
from archivist.core.names import (
    is_version_alias,
    validate_aliases,
    validate_description,
    validate_metadata,
    validate_tags,
)
from archivist.core.paths import LATEST
from archivist.core.registries import ORGANIZATION
from archivist.core.registry_filters import parse_registry_filter
from archivist.metadata.registry_filter_sql import registry_filter_clause
from archivist.metadata.run_filter_sql import regex_refusals
from archivist.metadata.schema import (
    LIVE_COLLECTION,
    aliases,
    collections,
    entities,
    projects,
    version_tags,
    versions,
)
from archivist.service import ttl
from archivist.service.aliases import aliases_of, point_latest_at_newest, remove_aliases, replace_aliases
from archivist.service.artifact_events import record_event, record_tag_changes
from archivist.service.collections import lock_collection_by_id
from archivist.service.link_removal import remove_links
from archivist.service.records import load_versions, version_select, versions_by_id
from archivist.service.timestamps import utc_now
from archivist.service.validation import parse_version_order, validate_count

_COMMITTED = VersionState.COMMITTED.value
_DELETED = VersionState.DELETED.value
_ORDER_COLUMNS = {
    "version": versions.c.version_index,
    "created_at": versions.c.created_at,
    "size": versions.c.size,
}


def require_version_row(connection: Connection, version_id: object) -> Row[Any]:
    """The row of a version that is not deleted."""
    key = parse_version_id(version_id)
    row = connection.execute(
        select(versions).where(versions.c.id == key, versions.c.state != _DELETED)
    ).first()
    if row is None:
        raise ArtifactNotFoundError(f"artifact version {version_id!r} not found")
    return row


def _lock_version(connection: Connection, version_id: object) -> Row[Any]:
    """The version's row read again after locking its collection (on PostgreSQL), so that
    alias moves queue behind commits and a version deleted meanwhile is not edited."""
    lock_collection_by_id(connection, require_version_row(connection, version_id).collection_id)
    return require_version_row(connection, version_id)


def version_record(connection: Connection, version_id: int) -> VersionRecord:
    return versions_by_id(connection, [version_id])[0]


def get_version(connection: Connection, version_id: object) -> VersionRecord:
    return version_record(connection, require_version_row(connection, version_id).id)


def resolve_version(
    connection: Connection, entity: str, project: str, collection: str, selector: str
) -> VersionRecord:
    """The committed version named by ``selector`` (``vN`` or an alias) in a live collection."""
    statement = version_select().where(
        entities.c.name == entity,
        projects.c.name == project,
        collections.c.name == collection,
        LIVE_COLLECTION,
        versions.c.state == _COMMITTED,
    )
    if isinstance(selector, str) and is_version_alias(selector):
        statement = statement.where(versions.c.version_index == int(selector[1:]))
    else:
        alias_holder = (
            select(aliases.c.version_id)
            .where(aliases.c.collection_id == collections.c.id, aliases.c.alias == selector)
            .scalar_subquery()
        )
        statement = statement.where(versions.c.id == alias_holder)
    found = load_versions(connection, statement)
    if not found:
        raise ArtifactNotFoundError(f"artifact '{entity}/{project}/{collection}:{selector}' not found")
    return found[0]


def list_versions(connection: Connection, query: VersionQuery) -> list[VersionRecord]:
    """Committed versions of a collection having all of ``query.tags``, ordered and paged."""
    key, descending = parse_version_order(query.order)
    validate_count(query.offset, "offset")
    validate_count(query.limit, "limit", optional=True)
    statement = version_select().where(
        entities.c.name == query.entity,
        projects.c.name == query.project,
        collections.c.name == query.collection,
        LIVE_COLLECTION,
        versions.c.state == _COMMITTED,
    )
    if query.digest is not None:
        statement = statement.where(versions.c.digest == validate_digest(query.digest, "digest"))
    tree = parse_registry_filter("version", query.filter)
    if tree is not None:
        statement = statement.where(registry_filter_clause(connection.dialect.name, "version", tree))
    wanted_tags = validate_tags(query.tags)
    if wanted_tags:
        having_all = (
            select(version_tags.c.version_id)
            .where(version_tags.c.tag.in_(wanted_tags))
            .group_by(version_tags.c.version_id)
            .having(func.count() == len(wanted_tags))
        )
        statement = statement.where(versions.c.id.in_(having_all))
    column = _ORDER_COLUMNS[key]
    tie_break = versions.c.version_index
    statement = statement.order_by(
        *(c.desc() if descending else c.asc() for c in (column, tie_break))
    ).offset(query.offset)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    with regex_refusals(tree, "version"):
        return load_versions(connection, statement)


def list_registry_versions(
    connection: Connection,
    project: str,
    filter: Mapping[str, Any] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[VersionRecord]:
    """The committed versions of every collection of a registry project, by collection name
    then newest first, filtered and paged in one statement."""
    validate_count(offset, "offset")
    validate_count(limit, "limit", optional=True)
    tree = parse_registry_filter("version", filter)
    statement = version_select().where(
        entities.c.name == ORGANIZATION,
        projects.c.name == project,
        LIVE_COLLECTION,
        versions.c.state == _COMMITTED,
    )
    if tree is not None:
        statement = statement.where(registry_filter_clause(connection.dialect.name, "version", tree))
    statement = statement.order_by(collections.c.name, versions.c.version_index.desc()).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    with regex_refusals(tree, "version"):
        return load_versions(connection, statement)


def update_version(connection: Connection, version_id: object, change: VersionUpdate) -> VersionRecord:
    """Apply the fields of ``change`` that are set; aliases and tags are full replacements."""
    row = _lock_version(connection, version_id)
    values: dict[str, Any] = {"updated_at": utc_now()}
    if change.description is not UNSET:
        values["description"] = validate_description(change.description)
    if change.metadata is not UNSET:
        values["metadata_json"] = validate_metadata(change.metadata)
    if change.ttl_seconds is not UNSET:
        type_name = connection.execute(
            select(collections.c.type).where(collections.c.id == row.collection_id)
        ).scalar_one()
        policy = ttl.checked_policy(change.ttl_seconds, type_name, row.source_version_id is not None)
        policy = ttl.policy_if_linked(connection, row.id, policy)
        values["ttl_seconds"] = policy
        values["expires_at"] = ttl.expiry(row.created_at, policy)
    if change.aliases is not UNSET:
        replace_aliases(connection, row.collection_id, row.id, validate_aliases(change.aliases))
    if change.tags is not UNSET:
        set_tags(connection, row.collection_id, row.id, validate_tags(change.tags))
    connection.execute(update(versions).where(versions.c.id == row.id).values(**values))
    return version_record(connection, row.id)


def set_tags(connection: Connection, collection_id: int, version_id: int, tags: tuple[str, ...]) -> None:
    before = list(
        connection.execute(
            select(version_tags.c.tag).where(version_tags.c.version_id == version_id)
        ).scalars()
    )
    connection.execute(delete(version_tags).where(version_tags.c.version_id == version_id))
    add_tags(connection, version_id, tags)
    record_tag_changes(connection, collection_id, version_id, before, tags)


def add_tags(connection: Connection, version_id: int, tags: tuple[str, ...]) -> None:
    if tags:
        connection.execute(
            insert(version_tags),
            [{"version_id": version_id, "tag": tag, "position": i} for i, tag in enumerate(tags)],
        )


def delete_version(connection: Connection, version_id: object, delete_aliases: bool = False) -> None:
    """Soft-delete a version; one holding aliases needs ``delete_aliases=True``.
    When it held ``latest``, ``latest`` moves to the newest remaining version."""
    row = _lock_version(connection, version_id)
    held = aliases_of(connection, row.id)
    if held and not delete_aliases:
        record = version_record(connection, row.id)
        raise ConflictError(
            f"cannot delete artifact '{record.qualified_collection}:{record.version}': it has the "
            f"aliases {held}; pass delete_aliases=True to delete them with it"
        )
    remove_aliases(connection, row.id)
    now = utc_now()
    connection.execute(
        update(versions).where(versions.c.id == row.id).values(state=_DELETED, updated_at=now, deleted_at=now)
    )
    kind = EventType.DELETE_ARTIFACT if row.source_version_id is None else EventType.UNLINK_ARTIFACT
    record_event(connection, kind, row.collection_id, previous_version_id=row.id)
    if LATEST in held:
        point_latest_at_newest(connection, row.collection_id)
    remove_links(connection, [row.id])
