"""Collections: an artifact name with one type inside a project, owning its versions.

Names are unique per project across types. A deleted collection keeps its row
(its versions stay restorable) and frees its name: logging the name again
starts a fresh collection at v0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, select, update

from archivist.core.artifact_events import EventType
from archivist.core.errors import ConflictError, InvalidInputError, NotFoundError, TypeConflictError
from archivist.core.lifecycle import RetentionRule
from archivist.core.models import UNSET, CollectionRecord, CollectionUpdate, VersionState
from archivist.core.names import validate_description, validate_tags, validate_type
from archivist.core.registries import is_registry_project, validate_collection_name
from archivist.core.registry_filters import parse_registry_filter
from archivist.metadata.dialects import insert_ignoring_conflict
from archivist.metadata.registry_filter_sql import registry_filter_clause
from archivist.metadata.run_filter_sql import regex_refusals
from archivist.metadata.schema import LIVE_COLLECTION, aliases, collections, entities, projects, versions
from archivist.service.artifact_events import record_alias_removals, record_event
from archivist.service.link_removal import remove_links
from archivist.service.namespaces import find_project_id
from archivist.service.records import collection_select, load_collections
from archivist.service.timestamps import utc_now
from archivist.service.validation import validate_count

_LIVE_ROW = select(collections).where(
    collections.c.project_id == bindparam("project_id"),
    collections.c.name == bindparam("name"),
    LIVE_COLLECTION,
)
_LIVE_ROW_LOCKED = _LIVE_ROW.with_for_update()


def _live_row(connection: Connection, project_id: int, name: str, *, lock: bool) -> Row[Any] | None:
    statement = _LIVE_ROW_LOCKED if lock else _LIVE_ROW
    return connection.execute(statement, {"project_id": project_id, "name": name}).first()


def find_collection(
    connection: Connection, entity: str, project: str, name: str, *, lock: bool = False
) -> Row[Any] | None:
    """The live collection row, locked against other writers when ``lock`` (PostgreSQL)."""
    project_id = find_project_id(connection, entity, project)
    if project_id is None:
        return None
    return _live_row(connection, project_id, name, lock=lock)


def require_collection(
    connection: Connection, entity: str, project: str, name: str, *, lock: bool = False
) -> Row[Any]:
    row = find_collection(connection, entity, project, name, lock=lock)
    if row is None:
        raise NotFoundError(f"artifact collection '{entity}/{project}/{name}' not found")
    return row


def lock_collection_by_id(connection: Connection, collection_id: int) -> Row[Any]:
    statement = select(collections).where(collections.c.id == collection_id).with_for_update()
    return connection.execute(statement).one()


def lock_or_create_collection(
    connection: Connection, project_id: int, project: str, name: str, type_name: str
) -> Row[Any]:
    """The collection row, created with ``type_name`` if new and locked for the caller's
    transaction; ``TypeConflictError`` when it exists with another type."""
    row = _live_row(connection, project_id, name, lock=True)
    if row is None:
        now = utc_now()
        values = {
            "project_id": project_id,
            "name": name,
            "type": type_name,
            "description": None,
            "tags": [],
            "next_version_index": 0,
            "created_at": now,
            "updated_at": now,
        }
        insert_ignoring_conflict(connection, collections, values, ["project_id", "name"], LIVE_COLLECTION)
        row = _live_row(connection, project_id, name, lock=True)
        assert row is not None
    if row.type != type_name:
        raise TypeConflictError(
            f"artifact {name!r} already exists in project {project!r} with type {row.type!r}; "
            f"cannot log it as type {type_name!r}"
        )
    return row


def allocate_version_index(connection: Connection, collection: Row[Any], now: dt.datetime) -> int:
    """The next version number of a collection locked by the caller; never handed out twice."""
    index: int = collection.next_version_index
    connection.execute(
        update(collections)
        .where(collections.c.id == collection.id)
        .values(next_version_index=index + 1, updated_at=now)
    )
    return index


def list_types(connection: Connection, entity: str, project: str) -> list[str]:
    statement = (
        select(collections.c.type)
        .distinct()
        .join(projects, projects.c.id == collections.c.project_id)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(entities.c.name == entity, projects.c.name == project, LIVE_COLLECTION)
        .order_by(collections.c.type)
    )
    return list(connection.execute(statement).scalars())


def list_collections(
    connection: Connection,
    entity: str,
    project: str,
    type_name: str | None = None,
    filter: Mapping[str, Any] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[CollectionRecord]:
    """The project's collections by name, filtered (``core.registry_filters``, as SQL) and paged."""
    tree = parse_registry_filter("collection", filter)
    validate_count(offset, "offset")
    validate_count(limit, "limit", optional=True)
    statement = collection_select().where(entities.c.name == entity, projects.c.name == project)
    if type_name is not None:
        statement = statement.where(collections.c.type == type_name)
    if tree is not None:
        statement = statement.where(registry_filter_clause(connection.dialect.name, "collection", tree))
    statement = statement.order_by(collections.c.name).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    with regex_refusals(tree, "collection"):
        return load_collections(connection, statement)


def collection_record(connection: Connection, collection_id: int) -> CollectionRecord:
    return load_collections(connection, collection_select().where(collections.c.id == collection_id))[0]


def get_collection(connection: Connection, entity: str, project: str, name: str) -> CollectionRecord:
    return collection_record(connection, require_collection(connection, entity, project, name).id)


def update_collection(
    connection: Connection, entity: str, project: str, name: str, change: CollectionUpdate
) -> CollectionRecord:
    row = require_collection(connection, entity, project, name, lock=True)
    values: dict[str, Any] = {"updated_at": utc_now()}
    in_registry = is_registry_project(project)
    if change.name is not UNSET and change.name != row.name:
        new_name = validate_collection_name(project, change.name)
        if _live_row(connection, row.project_id, new_name, lock=False) is not None:
            raise ConflictError(
                f"cannot rename artifact {name!r} to {new_name!r}: an artifact named {new_name!r} "
                f"already exists in project {project!r}"
            )
        values["name"] = new_name
    if change.type is not UNSET and change.type != row.type and in_registry:
        raise InvalidInputError(
            f"collection {row.name!r} of {project!r} holds type {row.type!r}; a registry collection's "
            f"type is fixed when it is created, so it cannot become {change.type!r}"
        )
    if change.type is not UNSET:
        values["type"] = validate_type(change.type, values.get("name", row.name))
    if change.description is not UNSET:
        values["description"] = validate_description(change.description, "collection description")
    if change.tags is not UNSET:
        values["tags"] = list(validate_tags(change.tags))
    if change.retention is not UNSET:
        values.update(_retention_values(change.retention, row.name, in_registry))
    connection.execute(update(collections).where(collections.c.id == row.id).values(**values))
    return collection_record(connection, row.id)


def _retention_values(rule: object, name: str, in_registry: bool) -> dict[str, Any]:
    if rule is not None and not isinstance(rule, RetentionRule):
        raise InvalidInputError(f"retention of {name!r} must be a RetentionRule or None, got {rule!r}")
    if rule is not None and in_registry:
        raise InvalidInputError(
            f"collection {name!r} is in a registry, whose versions are links; set a retention rule on "
            "the source collection instead"
        )
    rule = rule or RetentionRule()
    return {"retention_keep_last": rule.keep_last, "retention_max_age_seconds": rule.max_age_seconds}


def delete_collection(connection: Connection, entity: str, project: str, name: str) -> None:
    """Soft-delete the collection and every version in it; the name becomes free."""
    row = require_collection(connection, entity, project, name, lock=True)
    now = utc_now()
    live = connection.execute(
        select(versions.c.id, versions.c.source_version_id)
        .where(versions.c.collection_id == row.id, versions.c.state != VersionState.DELETED.value)
        .order_by(versions.c.version_index)
    ).all()
    held = connection.execute(
        select(aliases.c.version_id, aliases.c.alias)
        .where(aliases.c.collection_id == row.id)
        .order_by(aliases.c.id)
    ).all()
    connection.execute(delete(aliases).where(aliases.c.collection_id == row.id))
    for version_id in dict.fromkeys(holder for holder, _ in held):
        record_alias_removals(
            connection, row.id, version_id, [name for holder, name in held if holder == version_id]
        )
    connection.execute(
        update(versions)
        .where(versions.c.collection_id == row.id, versions.c.state != VersionState.DELETED.value)
        .values(state=VersionState.DELETED.value, updated_at=now, deleted_at=now)
    )
    for version in live:
        kind = EventType.DELETE_ARTIFACT if version.source_version_id is None else EventType.UNLINK_ARTIFACT
        record_event(connection, kind, row.id, previous_version_id=version.id)
    connection.execute(
        update(collections).where(collections.c.id == row.id).values(deleted_at=now, updated_at=now)
    )
    remove_links(connection, select(versions.c.id).where(versions.c.collection_id == row.id))


def project_id_of(connection: Connection, collection_id: int) -> int:
    """The project holding the collection."""
    project_id: int = connection.execute(
        select(collections.c.project_id).where(collections.c.id == collection_id)
    ).scalar_one()
    return project_id
