"""The audit trail: ``artifact_events``, one append-only row per change of a version's
links, aliases and tags (``service.artifact_events``).

Aliases held when this revision runs get an ``ADD_ARTIFACT_ALIAS`` row dated at their
version's creation (the best time known) with the actor ``unknown``, so that "which
version held alias X at time T" has an answer for them too.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "artifact_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("collection_id", sa.Integer, nullable=True),
        sa.Column("alias", sa.String(128), nullable=True),
        sa.Column("tag", sa.String(128), nullable=True),
        sa.Column("version_id", sa.Integer, nullable=True),
        sa.Column("previous_version_id", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_artifact_events_project_id_projects"
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collections.id"], name="fk_artifact_events_collection_id_collections"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_artifact_events"),
    )
    op.create_index("ix_artifact_events_collection_id_id", "artifact_events", ["collection_id", "id"])
    op.create_index(
        "ix_artifact_events_collection_id_alias_id", "artifact_events", ["collection_id", "alias", "id"]
    )
    op.create_index(
        "ix_artifact_events_collection_id_alias_created_at_id",
        "artifact_events",
        ["collection_id", "alias", "created_at", "id"],
    )
    op.create_index("ix_artifact_events_project_id_id", "artifact_events", ["project_id", "id"])
    op.execute(
        "INSERT INTO artifact_events "
        "(event_type, created_at, actor, project_id, collection_id, alias, version_id) "
        "SELECT 'ADD_ARTIFACT_ALIAS', versions.created_at, 'unknown', collections.project_id, "
        "aliases.collection_id, aliases.alias, aliases.version_id "
        "FROM aliases JOIN versions ON versions.id = aliases.version_id "
        "JOIN collections ON collections.id = aliases.collection_id ORDER BY versions.created_at, aliases.id"
    )


def downgrade() -> None:
    op.drop_index("ix_artifact_events_project_id_id", "artifact_events")
    op.drop_index("ix_artifact_events_collection_id_alias_created_at_id", "artifact_events")
    op.drop_index("ix_artifact_events_collection_id_alias_id", "artifact_events")
    op.drop_index("ix_artifact_events_collection_id_id", "artifact_events")
    op.drop_table("artifact_events")
