"""API keys are named by a random key id instead of their first characters in clear.

``api_keys.prefix`` held a key's first 12 characters (9 of them secret); each existing key
gets a random ``key_id`` (``kid_`` and 12 hex digits) in its place and the prefix is
dropped. Keys keep working: they are found by their hash, which does not change. On SQLite
the dropped prefixes are overwritten in the file (``secure_delete``), not just unlinked.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_KEY_ID = sa.String(16)
_UNIQUE_KEY_ID = "uq_api_keys_key_id"
_keys = sa.table("api_keys", sa.column("id", sa.Integer), sa.column("key_id", _KEY_ID))


def upgrade() -> None:
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        was_secure: int = connection.exec_driver_sql("PRAGMA secure_delete").scalar_one()
        connection.exec_driver_sql("PRAGMA secure_delete = ON")
    op.add_column("api_keys", sa.Column("key_id", _KEY_ID, nullable=True))
    for row_id in connection.execute(sa.select(_keys.c.id)).scalars().all():
        new_id = "kid_" + secrets.token_hex(6)  # frozen here: the service's generator may change
        connection.execute(sa.update(_keys).where(_keys.c.id == row_id).values(key_id=new_id))
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("key_id", existing_type=_KEY_ID, nullable=False)
        batch.create_unique_constraint(_UNIQUE_KEY_ID, ["key_id"])
        batch.drop_column("prefix")
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA secure_delete = {int(was_secure)}")


def downgrade() -> None:
    """The clear prefixes are gone for good: the old column gets the key ids."""
    op.add_column("api_keys", sa.Column("prefix", sa.String(16), nullable=True))
    op.execute("UPDATE api_keys SET prefix = key_id")
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("prefix", existing_type=sa.String(16), nullable=False)
        batch.drop_constraint(_UNIQUE_KEY_ID, type_="unique")
        batch.drop_column("key_id")
