"""Versions name the base version whose blob rows theirs extend.

A version's ``version_blobs`` rows then list only the blobs its base chain's rows do not,
so logging a small change of a large version writes a few rows instead of one per file
(and does not grow the random-order digest index by a whole version each time).
Existing versions keep all their rows: their base is NULL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("versions", sa.Column("base_version_id", sa.Integer, nullable=True))
    op.create_index("ix_versions_base_version_id", "versions", ["base_version_id"])


def downgrade() -> None:
    op.drop_index("ix_versions_base_version_id", "versions")
    op.drop_column("versions", "base_version_id")  # SQLite 3.35+ drops a column in place
