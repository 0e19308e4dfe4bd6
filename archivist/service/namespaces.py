"""Entities and projects: created implicitly the first time something is stored in them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from archivist.core.errors import NotFoundError
from archivist.core.models import ProjectRecord
from archivist.core.names import validate_entity, validate_project
from archivist.metadata.dialects import insert_ignoring_conflict
from archivist.metadata.schema import collections, entities, projects, runs
from archivist.service.timestamps import to_iso, utc_now

_PROJECT_ID = (
    select(projects.c.id)
    .join(entities, entities.c.id == projects.c.entity_id)
    .where(entities.c.name == bindparam("entity"), projects.c.name == bindparam("project"))
)


def find_project_id(connection: Connection, entity: str, project: str) -> int | None:
    return connection.execute(_PROJECT_ID, {"entity": entity, "project": project}).scalar()


def ensure_project(connection: Connection, entity: str, project: str) -> int:
    """The id of ``entity/project``, creating the entity and the project if needed."""
    project_id = find_project_id(connection, entity, project)
    if project_id is not None:
        _revive(connection, project_id)
        return project_id
    validate_entity(entity)
    validate_project(project)
    now = utc_now()
    insert_ignoring_conflict(connection, entities, {"name": entity, "created_at": now}, ["name"])
    entity_id = connection.execute(select(entities.c.id).where(entities.c.name == entity)).scalar_one()
    insert_ignoring_conflict(
        connection,
        projects,
        {"entity_id": entity_id, "name": project, "created_at": now},
        ["entity_id", "name"],
    )
    project_id = find_project_id(connection, entity, project)
    assert project_id is not None
    return project_id


def _revive(connection: Connection, project_id: int) -> None:
    """Storing something in a deleted project shows it again (empty: its collections stay deleted)."""
    connection.execute(
        update(projects)
        .where(projects.c.id == project_id, projects.c.deleted_at.is_not(None))
        .values(deleted_at=None)
    )


def list_projects(connection: Connection, entity: str) -> list[str]:
    statement = (
        select(projects.c.name)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(entities.c.name == entity, projects.c.deleted_at.is_(None))
        .order_by(projects.c.name)
    )
    return list(connection.execute(statement).scalars())


def _project_records(connection: Connection, entity: str, project: str | None) -> list[ProjectRecord]:
    run_count = select(func.count()).where(runs.c.project_id == projects.c.id).scalar_subquery()
    collection_count = (
        select(func.count())
        .where(collections.c.project_id == projects.c.id, collections.c.deleted_at.is_(None))
        .scalar_subquery()
    )
    statement: Any = (
        select(projects.c.name, projects.c.created_at, run_count, collection_count)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(entities.c.name == entity, projects.c.deleted_at.is_(None))
        .order_by(projects.c.name)
    )
    if project is not None:
        statement = statement.where(projects.c.name == project)
    return [
        ProjectRecord(entity, name, to_iso(created), int(run_total), int(collection_total))
        for name, created, run_total, collection_total in connection.execute(statement)
    ]


def list_project_records(connection: Connection, entity: str) -> list[ProjectRecord]:
    return _project_records(connection, entity, None)


def get_project(connection: Connection, entity: str, project: str) -> ProjectRecord:
    found = _project_records(connection, entity, project)
    if not found:
        names = list_projects(connection, entity)
        more = f" (and {len(names) - 20} more)" if len(names) > 20 else ""
        held = f"the entity's projects: {', '.join(names[:20])}{more}" if names else "it has no projects"
        raise NotFoundError(f"project '{entity}/{project}' not found; {held}")
    return found[0]
