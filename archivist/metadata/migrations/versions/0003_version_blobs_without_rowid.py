"""version_blobs without SQLite's rowid: its rows live in their primary key's B-tree.

A rowid table keeps each row twice (the table, and the primary key's index) beside the
digest index; without the rowid the primary key is the table. Committing a version of
20,000 blobs then writes a third fewer pages (its insert and the WAL checkpoint it
causes). PostgreSQL has no rowid: nothing changes there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_REBUILT = "version_blobs_rebuilt"
_INDEX = "ix_version_blobs_digest"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(with_rowid=True)


def _rebuild(with_rowid: bool) -> None:
    """SQLite cannot change a table's rowid in place: copy the rows into a new table."""
    op.create_table(
        _REBUILT,
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey("versions.id", name="fk_version_blobs_version_id_versions"),
            nullable=False,
        ),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "digest", name="pk_version_blobs"),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(f"INSERT INTO {_REBUILT} (version_id, digest) SELECT version_id, digest FROM version_blobs")
    op.drop_index(_INDEX, "version_blobs")
    op.drop_table("version_blobs")
    op.rename_table(_REBUILT, "version_blobs")
    op.create_index(_INDEX, "version_blobs", ["digest"])
