"""Protected aliases of registries, their promotion rules, and the overrides of those rules.

``protected_aliases``: per registry, the aliases only its admins may move, each with an
optional promotion rule. ``promotion_overrides``: append-only, each time an admin gave a
protected alias to a version that failed its rule, with the reason.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "protected_aliases",
        sa.Column("registry_id", sa.Integer, nullable=False),
        sa.Column("alias", sa.String(128), nullable=False),
        sa.Column("rule", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registry_id"], ["registries.id"], name="fk_protected_aliases_registry_id_registries"
        ),
        sa.PrimaryKeyConstraint("registry_id", "alias", name="pk_protected_aliases"),
    )
    op.create_table(
        "promotion_overrides",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("registry", sa.String(128), nullable=False),
        sa.Column("collection", sa.String(128), nullable=False),
        sa.Column("version_index", sa.Integer, nullable=False),
        sa.Column("alias", sa.String(128), nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("failures", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("user_name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_promotion_overrides"),
    )
    op.create_index("ix_promotion_overrides_version_id", "promotion_overrides", ["version_id"])


def downgrade() -> None:
    op.drop_index("ix_promotion_overrides_version_id", "promotion_overrides")
    op.drop_table("promotion_overrides")
    op.drop_table("protected_aliases")
