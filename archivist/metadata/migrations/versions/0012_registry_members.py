"""Registry roles: the users and teams that hold a role in a registry.

``registry_members``: one row per registry and member entity (a user's personal entity or
a team) with its role (``restricted_viewer``, ``viewer``, ``member``, ``admin``). Registries
created before this revision have no members: their readers keep the roles the
organization's entity gives them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_members",
        sa.Column("registry_id", sa.Integer, nullable=False),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registry_id"], ["registries.id"], name="fk_registry_members_registry_id_registries"
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name="fk_registry_members_entity_id_entities"
        ),
        sa.PrimaryKeyConstraint("registry_id", "entity_id", name="pk_registry_members"),
    )
    op.create_index("ix_registry_members_entity_id", "registry_members", ["entity_id"])


def downgrade() -> None:
    op.drop_index("ix_registry_members_entity_id", "registry_members")
    op.drop_table("registry_members")
