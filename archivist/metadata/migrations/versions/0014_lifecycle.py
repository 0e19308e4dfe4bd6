"""Lifecycle settings: the team default TTL, collection retention rules, deleted projects.

``entities.default_ttl_seconds``: the TTL of versions that inherit it (``core.lifecycle``).
``collections.retention_keep_last`` / ``retention_max_age_seconds``: the collection's
retention rule, applied by the sweep. ``projects.deleted_at``: a deleted project, hidden
until something is stored in it again. Versions logged before keep a NULL TTL policy,
which reads as inherit (``TTL_INHERIT``): without a team default that is no TTL, as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entities", sa.Column("default_ttl_seconds", sa.BigInteger(), nullable=True))
    op.add_column("projects", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("collections", sa.Column("retention_keep_last", sa.Integer(), nullable=True))
    op.add_column("collections", sa.Column("retention_max_age_seconds", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("collections", "retention_max_age_seconds")
    op.drop_column("collections", "retention_keep_last")
    op.drop_column("projects", "deleted_at")
    op.drop_column("entities", "default_ttl_seconds")
