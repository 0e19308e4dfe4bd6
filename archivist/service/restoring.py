"""Restoring soft-deleted versions, listing them, and deleting a whole project.

A deleted version keeps its row (state ``DELETED``, ``deleted_at`` set) until the collector
purges it; restoring makes it committed again under its old number (numbers are never
reused), with ``latest`` moved to the newest version. Its aliases and links were removed
with it and stay removed. Restoring a version of a deleted collection revives the
collection (and its project), unless a newer collection took its name meanwhile.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select, update

from archivist.core.errors import ArtifactNotFoundError, ConflictError, InvalidInputError, NotFoundError
from archivist.core.models import VersionRecord, VersionState
from archivist.core.names import validate_entity, validate_project
from archivist.core.registries import is_registry_project, validate_collection_name
from archivist.metadata.schema import LIVE_COLLECTION, collections, entities, projects, versions
from archivist.service.aliases import point_latest_at_newest
from archivist.service.collections import delete_collection, lock_collection_by_id
from archivist.service.namespaces import find_project_id
from archivist.service.records import load_versions, version_select, versions_by_id
from archivist.service.timestamps import utc_now
from archivist.service.validation import validate_count

_DELETED = VersionState.DELETED.value


def restore_version(
    connection: Connection, entity: str, project: str, collection: str, version_index: int
) -> VersionRecord:
    """Make the deleted version ``collection:v<version_index>`` committed again."""
    index = validate_count(version_index, "version_index")
    row = _deleted_version(connection, entity, project, collection, index)
    owner = lock_collection_by_id(connection, row.collection_id)
    if owner.deleted_at is not None:
        _revive_collection(connection, owner, f"{entity}/{project}/{collection}:v{index}")
    now = utc_now()
    restored = connection.execute(
        update(versions)
        .where(versions.c.id == row.id, versions.c.state == _DELETED)
        .values(state=VersionState.COMMITTED.value, deleted_at=None, updated_at=now)
    )
    if restored.rowcount != 1:  # the collector purged it meanwhile
        raise ArtifactNotFoundError(f"deleted version '{entity}/{project}/{collection}:v{index}' not found")
    connection.execute(update(projects).where(projects.c.id == owner.project_id).values(deleted_at=None))
    point_latest_at_newest(connection, row.collection_id)
    return versions_by_id(connection, [row.id])[0]


def _deleted_version(
    connection: Connection, entity: str, project: str, collection: str, index: int
) -> Row[Any]:
    """The deleted version, in the live collection of that name first, else in the
    collection of that name deleted last."""
    statement = (
        select(versions)
        .join(collections, collections.c.id == versions.c.collection_id)
        .join(projects, projects.c.id == collections.c.project_id)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(
            entities.c.name == validate_entity(entity),
            projects.c.name == validate_project(project),
            collections.c.name == validate_collection_name(project, collection),
            versions.c.version_index == index,
            versions.c.state == _DELETED,
        )
        .order_by(collections.c.deleted_at.is_(None).desc(), collections.c.id.desc())
    )
    row = connection.execute(statement).first()
    if row is None:
        raise ArtifactNotFoundError(
            f"no deleted artifact '{entity}/{project}/{collection}:v{index}' to restore: it is live, "
            "was never logged, or the collector purged it after its grace period"
        )
    if row.source_version_id is not None:
        raise InvalidInputError(
            f"'{entity}/{project}/{collection}:v{index}' was a registry link; link its source again instead"
        )
    return row


def _revive_collection(connection: Connection, owner: Row[Any], name: str) -> None:
    taken = connection.execute(
        select(collections.c.id).where(
            collections.c.project_id == owner.project_id, collections.c.name == owner.name, LIVE_COLLECTION
        )
    ).first()
    if taken is not None:
        raise ConflictError(
            f"cannot restore {name!r}: its collection was deleted and a newer artifact named "
            f"{owner.name!r} now exists; rename or delete that one first"
        )
    connection.execute(
        update(collections).where(collections.c.id == owner.id).values(deleted_at=None, updated_at=utc_now())
    )


def list_deleted_versions(
    connection: Connection, entity: str, project: str, collection: str | None = None
) -> list[VersionRecord]:
    """The project's deleted versions not purged yet (of collections named ``collection``
    when given), most recently deleted first; registry links are not listed."""
    statement = version_select().where(
        entities.c.name == entity,
        projects.c.name == project,
        versions.c.state == _DELETED,
        versions.c.source_version_id.is_(None),
    )
    if collection is not None:
        statement = statement.where(collections.c.name == validate_collection_name(project, collection))
    statement = statement.order_by(versions.c.deleted_at.desc(), versions.c.id.desc())
    return load_versions(connection, statement)


def live_collection_ids(connection: Connection, entity: str, project: str) -> list[int]:
    """The project's live collections (what deleting it deletes); none for an unknown project."""
    project_id = find_project_id(connection, entity, project)
    statement = select(collections.c.id).where(collections.c.project_id == project_id, LIVE_COLLECTION)
    return list(connection.execute(statement).scalars())


def delete_project(connection: Connection, entity: str, project: str) -> int:
    """Soft-delete every collection of the project and hide the project; returns how many
    collections were deleted. Its versions stay restorable until purged."""
    if is_registry_project(project):
        raise InvalidInputError(f"{project!r} is a registry; delete it with 'archivist registry delete'")
    project_id = find_project_id(connection, entity, project)
    hidden = connection.execute(select(projects.c.deleted_at).where(projects.c.id == project_id)).scalar()
    if project_id is None or hidden is not None:
        raise NotFoundError(f"project '{entity}/{project}' not found")
    names = connection.execute(
        select(collections.c.name).where(collections.c.project_id == project_id, LIVE_COLLECTION)
    ).scalars()
    deleted = 0
    for name in list(names):
        delete_collection(connection, entity, project, name)
        deleted += 1
    connection.execute(update(projects).where(projects.c.id == project_id).values(deleted_at=utc_now()))
    return deleted
