"""The rows every store holds from its creation: the organization's entity and the core
registries (``core.registries.CORE_REGISTRIES``) with the types they accept.

A store migrated step by step gets them from migration 0008; a new store, created at its
head revision without Alembic (``migrate.create_at_head``), gets them here, so the two
hold the same rows (a test compares them)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert

from archivist.core.registries import CORE_REGISTRIES, ORGANIZATION, Visibility, registry_project
from archivist.metadata.schema import entities, projects, registries, registry_types


def insert_core_rows(connection: Connection) -> None:
    """Insert the organization and the core registries into a new, empty schema."""
    now = dt.datetime.now(dt.timezone.utc)
    entity_id = connection.execute(
        insert(entities).values(name=ORGANIZATION, created_at=now).returning(entities.c.id)
    ).scalar_one()
    for name, accepted in CORE_REGISTRIES.items():
        project_id = connection.execute(
            insert(projects)
            .values(entity_id=entity_id, name=registry_project(name), created_at=now)
            .returning(projects.c.id)
        ).scalar_one()
        registry_id = connection.execute(
            insert(registries)
            .values(
                project_id=project_id,
                name=name,
                description=None,
                visibility=Visibility.ORGANIZATION.value,
                allow_all_types=False,
                created_at=now,
                updated_at=now,
            )
            .returning(registries.c.id)
        ).scalar_one()
        connection.execute(
            insert(registry_types),
            [{"registry_id": registry_id, "type": type_, "created_at": now} for type_ in accepted],
        )
