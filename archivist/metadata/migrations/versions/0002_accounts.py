"""Server accounts: users, hashed API keys and each user's role per entity.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME = sa.String(128)
STAMP = sa.DateTime(timezone=True)


def _fk(column: str, target: str, table: str) -> sa.Column[Any]:
    name = f"fk_{table}_{column}_{target.split('.')[0]}"
    return sa.Column(column, sa.Integer, sa.ForeignKey(target, name=name), nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", NAME, nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("user_id", "users.id", "api_keys"),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("revoked_at", STAMP),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
    op.create_table(
        "entity_members",
        _fk("entity_id", "entities.id", "entity_members"),
        _fk("user_id", "users.id", "entity_members"),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "user_id", name="pk_entity_members"),
    )
    op.create_index("ix_entity_members_user_id", "entity_members", ["user_id"])


def downgrade() -> None:
    for table in ("entity_members", "api_keys", "users"):
        op.drop_table(table)
