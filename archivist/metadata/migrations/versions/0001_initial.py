"""The initial schema: entities, projects, collections, versions, aliases, tags,
runs with history and files, lineage edges, version blobs and GC marks.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NAME = sa.String(128)
DIGEST = sa.String(64)
STAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Integer, primary_key=True)


def _fk(column: str, target: str, table: str, nullable: bool = False) -> sa.Column[Any]:
    name = f"fk_{table}_{column}_{target.split('.')[0]}"
    return sa.Column(column, sa.Integer, sa.ForeignKey(target, name=name), nullable=nullable)


_EDGE_ENDS = {"run_pk": "runs.id", "version_id": "versions.id"}


def _create_edge_table(table: str, source: str, target: str) -> None:
    op.create_table(
        table,
        _id(),
        _fk(source, _EDGE_ENDS[source], table),
        _fk(target, _EDGE_ENDS[target], table),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.UniqueConstraint(source, target, name=f"uq_{table}_{source}_{target}"),
    )
    op.create_index(f"ix_{table}_{target}", table, [target])


def upgrade() -> None:
    op.create_table(
        "entities",
        _id(),
        sa.Column("name", NAME, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entities"),
        sa.UniqueConstraint("name", name="uq_entities_name"),
    )
    op.create_table(
        "projects",
        _id(),
        _fk("entity_id", "entities.id", "projects"),
        sa.Column("name", NAME, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.UniqueConstraint("entity_id", "name", name="uq_projects_entity_id_name"),
    )
    op.create_table(
        "collections",
        _id(),
        _fk("project_id", "projects.id", "collections"),
        sa.Column("name", NAME, nullable=False),
        sa.Column("type", NAME, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("next_version_index", sa.Integer, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.Column("deleted_at", STAMP),
        sa.PrimaryKeyConstraint("id", name="pk_collections"),
    )
    op.create_index("ix_collections_project_id_type", "collections", ["project_id", "type"])
    live = sa.text("deleted_at IS NULL")
    op.create_index(
        "uq_collections_live_name",
        "collections",
        ["project_id", "name"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    op.create_table(
        "runs",
        _id(),
        _fk("project_id", "projects.id", "runs"),
        sa.Column("run_id", NAME, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("job_type", sa.Text),
        sa.Column("group_name", sa.Text),
        sa.Column("notes", sa.Text),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("host", sa.Text),
        sa.Column("pid", sa.Integer),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("project_id", "run_id", name="uq_runs_project_id_run_id"),
    )
    op.create_index("ix_runs_project_id_created_at", "runs", ["project_id", "created_at"])
    op.create_table(
        "versions",
        _id(),
        _fk("collection_id", "collections.id", "versions"),
        sa.Column("version_index", sa.Integer, nullable=False),
        sa.Column("digest", DIGEST, nullable=False),
        sa.Column("manifest_digest", DIGEST, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("file_count", sa.Integer, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("metadata_json", sa.JSON, nullable=False),
        sa.Column("ttl_seconds", sa.BigInteger),
        sa.Column("expires_at", STAMP),
        sa.Column("state", sa.String(16), nullable=False),
        _fk("producer_run_id", "runs.id", "versions", nullable=True),
        sa.Column("history_step", sa.BigInteger),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_versions"),
        sa.UniqueConstraint("collection_id", "version_index", name="uq_versions_collection_id_version_index"),
    )
    op.create_index("ix_versions_collection_id_digest", "versions", ["collection_id", "digest"])
    op.create_index("ix_versions_manifest_digest", "versions", ["manifest_digest"])
    op.create_index("ix_versions_expires_at", "versions", ["expires_at"])
    op.create_table(
        "aliases",
        _id(),
        _fk("collection_id", "collections.id", "aliases"),
        _fk("version_id", "versions.id", "aliases"),
        sa.Column("alias", NAME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_aliases"),
        sa.UniqueConstraint("collection_id", "alias", name="uq_aliases_collection_id_alias"),
    )
    op.create_index("ix_aliases_version_id", "aliases", ["version_id"])
    op.create_table(
        "version_tags",
        _fk("version_id", "versions.id", "version_tags"),
        sa.Column("tag", NAME, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("version_id", "tag", name="pk_version_tags"),
    )
    op.create_index("ix_version_tags_tag", "version_tags", ["tag"])
    op.create_table(
        "version_blobs",
        _fk("version_id", "versions.id", "version_blobs"),
        sa.Column("digest", DIGEST, nullable=False),
        sa.PrimaryKeyConstraint("version_id", "digest", name="pk_version_blobs"),
    )
    op.create_index("ix_version_blobs_digest", "version_blobs", ["digest"])
    op.create_table(
        "run_history",
        _fk("run_pk", "runs.id", "run_history"),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("row", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("run_pk", "step", name="pk_run_history"),
    )
    op.create_table(
        "run_files",
        _fk("run_pk", "runs.id", "run_files"),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("digest", DIGEST, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run_pk", "path", name="pk_run_files"),
    )
    op.create_index("ix_run_files_digest", "run_files", ["digest"])
    _create_edge_table("logged_edges", "run_pk", "version_id")
    _create_edge_table("used_edges", "version_id", "run_pk")
    op.create_table(
        "gc_marks",
        sa.Column("digest", DIGEST, nullable=False),
        sa.Column("first_seen", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_gc_marks"),
    )


def downgrade() -> None:
    for table in (
        "gc_marks",
        "used_edges",
        "logged_edges",
        "run_files",
        "run_history",
        "version_blobs",
        "version_tags",
        "aliases",
        "versions",
        "runs",
        "collections",
        "projects",
        "entities",
    ):
        op.drop_table(table)
