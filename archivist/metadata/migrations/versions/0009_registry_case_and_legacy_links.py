"""Registry names match whatever their case, and bare link targets remember their project.

``uq_registries_folded_name``: a unique index on ``lower(registries.name)``, so no two
registries differ only by case (W&B reads ``wandb-registry-zoo`` for the registry "Zoo");
registries of 0008 that did are renamed ``<name>-<id>`` first, all but the oldest.
``legacy_link_origins``: the projects from which a bare link target (W&B's old model
registry) linked into a collection of the ``model`` registry, so a path in that project
reads the link, as in W&B.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


MAX_REGISTRY_NAME = 113
"""128 characters of project name less ``wandb-registry-``."""


def upgrade() -> None:
    _rename_case_duplicates()
    op.create_index("uq_registries_folded_name", "registries", [sa.text("lower(name)")], unique=True)
    op.create_table(
        "legacy_link_origins",
        sa.Column("collection_id", sa.Integer, nullable=False),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collections.id"], name="fk_legacy_link_origins_collection_id_collections"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_legacy_link_origins_project_id_projects"
        ),
        sa.PrimaryKeyConstraint("collection_id", "project_id", name="pk_legacy_link_origins"),
    )
    op.create_index("ix_legacy_link_origins_project_id", "legacy_link_origins", ["project_id"])


def _rename_case_duplicates() -> None:
    """Registries of 0008 whose names differ only by case: the oldest keeps its name, each
    other one (with its project) becomes ``<name>-<id>``, so no registry and no link is lost."""
    connection = op.get_bind()
    registries = sa.table("registries", sa.column("id"), sa.column("project_id"), sa.column("name"))
    projects = sa.table("projects", sa.column("id"), sa.column("name"))
    rows = connection.execute(sa.select(registries).order_by(registries.c.id)).all()
    taken = {row.name.lower() for row in rows}
    seen: set[str] = set()
    for row in rows:
        if row.name.lower() not in seen:
            seen.add(row.name.lower())
            continue
        suffix = f"-{row.id}"
        renamed = row.name[: MAX_REGISTRY_NAME - len(suffix)] + suffix
        while renamed.lower() in taken:
            renamed = renamed[: MAX_REGISTRY_NAME - 1 - len(suffix)] + "x" + suffix
        taken.add(renamed.lower())
        connection.execute(sa.update(registries).where(registries.c.id == row.id).values(name=renamed))
        connection.execute(
            sa.update(projects)
            .where(projects.c.id == row.project_id)
            .values(name=f"wandb-registry-{renamed}")
        )


def downgrade() -> None:
    op.drop_index("ix_legacy_link_origins_project_id", "legacy_link_origins")
    op.drop_table("legacy_link_origins")
    op.drop_index("uq_registries_folded_name", "registries")
