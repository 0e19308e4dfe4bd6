"""Automations: webhooks, automations, the delivery outbox and every delivery attempt.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("signing_secret", sa.Text, nullable=False),
        sa.Column("access_token", sa.Text),
        sa.Column("secrets", sa.JSON, nullable=False),
        _when("created_at", False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name="fk_webhooks_entity_id_entities"),
        sa.PrimaryKeyConstraint("id", name="pk_webhooks"),
        sa.UniqueConstraint("entity_id", "name", name="uq_webhooks_entity_id_name"),
    )
    op.create_table(
        "automations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("scope_type", sa.String(32), nullable=False),
        sa.Column("scope_project", sa.String(128)),
        sa.Column("scope_collection", sa.String(128)),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("filter", sa.JSON, nullable=False),
        sa.Column("action_type", sa.String(32), nullable=False),
        sa.Column("webhook_id", sa.Integer),
        sa.Column("payload", sa.JSON),
        _when("created_at", False),
        _when("updated_at", False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], name="fk_automations_entity_id_entities"),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhooks.id"], name="fk_automations_webhook_id_webhooks"),
        sa.PrimaryKeyConstraint("id", name="pk_automations"),
        sa.UniqueConstraint("entity_id", "name", name="uq_automations_entity_id_name"),
    )
    op.create_index("ix_automations_entity_id_event_type", "automations", ["entity_id", "event_type"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("automation_id", sa.Integer, nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("event", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _when("next_attempt_at"),
        sa.Column("lease_owner", sa.String(64)),
        _when("lease_expires_at"),
        sa.Column("run_pk", sa.Integer),
        _when("created_at", False),
        _when("finished_at"),
        sa.ForeignKeyConstraint(
            ["automation_id"], ["automations.id"], name="fk_deliveries_automation_id_automations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("public_id", name="uq_deliveries_public_id"),
    )
    op.create_index("ix_deliveries_status_next_attempt_at", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_automation_id_run_pk", "deliveries", ["automation_id", "run_pk"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        _when("attempted_at", False),
        sa.Column("status_code", sa.Integer),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("response_start", sa.Text),
        sa.Column("error", sa.Text),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name="fk_delivery_attempts_delivery_id_deliveries"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
    )
    op.create_index("ix_delivery_attempts_delivery_id", "delivery_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_delivery_attempts_delivery_id", "delivery_attempts")
    op.drop_table("delivery_attempts")
    op.drop_index("ix_deliveries_automation_id_run_pk", "deliveries")
    op.drop_index("ix_deliveries_status_next_attempt_at", "deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_automations_entity_id_event_type", "automations")
    op.drop_table("automations")
    op.drop_table("webhooks")
