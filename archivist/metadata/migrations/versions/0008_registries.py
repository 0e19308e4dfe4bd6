"""Registries and links.

A registry is the project ``wandb-registry-<name>`` of the organization's entity with a
row of settings (``registries``) and the artifact types it accepts (``registry_types``,
add-only). A link is a version of a registry collection naming its source version
(``versions.source_version_id``). The organization's entity and the core registries
``model`` and ``dataset`` are created here, so every store has them from the start.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ORGANIZATION = "organization"
CORE_REGISTRIES = {"model": "model", "dataset": "dataset"}


def upgrade() -> None:
    op.add_column("versions", sa.Column("source_version_id", sa.Integer, nullable=True))
    op.create_index("ix_versions_source_version_id", "versions", ["source_version_id"])
    op.create_table(
        "registries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("allow_all_types", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name="fk_registries_project_id_projects"),
        sa.PrimaryKeyConstraint("id", name="pk_registries"),
        sa.UniqueConstraint("name", name="uq_registries_name"),
        sa.UniqueConstraint("project_id", name="uq_registries_project_id"),
    )
    op.create_table(
        "registry_types",
        sa.Column("registry_id", sa.Integer, nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registry_id"], ["registries.id"], name="fk_registry_types_registry_id_registries"
        ),
        sa.PrimaryKeyConstraint("registry_id", "type", name="pk_registry_types"),
    )
    _create_core_registries()


def _create_core_registries() -> None:
    connection = op.get_bind()
    now = dt.datetime.now(dt.timezone.utc)
    entities = sa.table("entities", sa.column("id"), sa.column("name"), sa.column("created_at"))
    projects = sa.table(
        "projects", sa.column("id"), sa.column("entity_id"), sa.column("name"), sa.column("created_at")
    )
    registries = sa.table(
        "registries",
        *(sa.column(c) for c in ("id", "project_id", "name", "description", "visibility")),
        *(sa.column(c) for c in ("allow_all_types", "created_at", "updated_at")),
    )
    types = sa.table("registry_types", sa.column("registry_id"), sa.column("type"), sa.column("created_at"))
    entity_id = connection.execute(sa.select(entities.c.id).where(entities.c.name == ORGANIZATION)).scalar()
    if entity_id is None:
        connection.execute(sa.insert(entities).values(name=ORGANIZATION, created_at=now))
        entity_id = connection.execute(
            sa.select(entities.c.id).where(entities.c.name == ORGANIZATION)
        ).scalar()
    for name, accepted in CORE_REGISTRIES.items():
        project = f"wandb-registry-{name}"
        where = sa.and_(projects.c.entity_id == entity_id, projects.c.name == project)
        project_id = connection.execute(sa.select(projects.c.id).where(where)).scalar()
        if project_id is None:
            connection.execute(sa.insert(projects).values(entity_id=entity_id, name=project, created_at=now))
            project_id = connection.execute(sa.select(projects.c.id).where(where)).scalar()
        connection.execute(
            sa.insert(registries).values(
                project_id=project_id,
                name=name,
                description=None,
                visibility="organization",
                allow_all_types=False,
                created_at=now,
                updated_at=now,
            )
        )
        registry_id = connection.execute(sa.select(registries.c.id).where(registries.c.name == name)).scalar()
        connection.execute(sa.insert(types).values(registry_id=registry_id, type=accepted, created_at=now))


def downgrade() -> None:
    op.drop_table("registry_types")
    op.drop_table("registries")
    op.drop_index("ix_versions_source_version_id", "versions")
    op.drop_column("versions", "source_version_id")
