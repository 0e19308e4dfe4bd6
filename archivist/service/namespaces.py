"""Entities and projects: created implicitly the first time something is stored in them."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from archivist.core.names import validate_entity, validate_project
from archivist.metadata.dialects import insert_ignoring_conflict
from archivist.metadata.schema import entities, projects
from archivist.service.timestamps import utc_now

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


def list_projects(connection: Connection, entity: str) -> list[str]:
    statement = (
        select(projects.c.name)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(entities.c.name == entity)
        .order_by(projects.c.name)
    )
    return list(connection.execute(statement).scalars())
