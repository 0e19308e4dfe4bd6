"""Blobs a user uploaded and no commit of theirs references yet.

A row lets its user read those bytes (they proved they hold them) and counts against
their upload quota until a commit or a run file references the blob, or the row expires.
``verified`` is false while the upload is only reserved (an upload plan); the server
sets it once it has hashed the bytes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob_grants",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_blob_grants_user_id_users"),
        sa.PrimaryKeyConstraint("user_id", "digest", name="pk_blob_grants"),
    )
    op.create_index("ix_blob_grants_digest", "blob_grants", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_blob_grants_digest", "blob_grants")
    op.drop_table("blob_grants")
