"""When a version was soft-deleted: the collector purges it once its grace period passed.

``versions.deleted_at``: set when a version is deleted (state ``DELETED``), cleared when it
is restored; versions deleted before this revision take their ``updated_at``, the time of
their last change, which was the deletion.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("versions", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE versions SET deleted_at = updated_at WHERE state = 'DELETED'")
    op.create_index("ix_versions_deleted_at", "versions", ["deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_versions_deleted_at", "versions")
    op.drop_column("versions", "deleted_at")  # SQLite 3.35+ drops a column in place
