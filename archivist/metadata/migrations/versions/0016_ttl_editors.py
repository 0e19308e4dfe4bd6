"""Who may set TTLs in a team: ``entities.ttl_editors`` (``admins`` or ``members``; NULL,
as every team has it after this migration, reads as ``members``: nothing changes).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("entities", sa.Column("ttl_editors", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("entities", "ttl_editors")
