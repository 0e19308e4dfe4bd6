"""The metadata schema (SQLAlchemy Core), the same on SQLite and PostgreSQL.

entities -> projects -> collections -> versions, with aliases and tags of
versions, runs with their history rows and files, the two lineage edge tables
(run -> version logged, version -> run used), the blobs each version's manifest
names (for garbage collection) and the garbage collector's marks. The server
adds users, their API keys (stored hashed) and each user's role per entity.

The Alembic migrations under ``migrations/versions`` build exactly this schema;
a test compares the two, so change both together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.types import TypeDecorator

NAME_LENGTH = 128
DIGEST_LENGTH = 64

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no timezone support, so values are normalised to UTC before
    they are stored and tagged as UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value!r} has no timezone; store aware UTC datetimes")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def _name() -> String:
    return String(NAME_LENGTH)


def _digest() -> String:
    return String(DIGEST_LENGTH)


entities = Table(
    "entities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", _name(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("default_ttl_seconds", BigInteger),
    Column("ttl_editors", String(16)),
    UniqueConstraint("name"),
)
"""``default_ttl_seconds``: the team default TTL, for versions whose policy is to inherit it.
``ttl_editors``: who may set TTLs, ``admins`` or ``members`` (NULL: members)."""

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", Integer, ForeignKey("entities.id"), nullable=False),
    Column("name", _name(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime),
    UniqueConstraint("entity_id", "name"),
)
"""``deleted_at``: the project was deleted (its collections with it); it is hidden until
something is stored in it again."""

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("name", _name(), nullable=False),
    Column("type", _name(), nullable=False),
    Column("description", Text),
    Column("tags", JSON, nullable=False),
    Column("next_version_index", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime),
    Column("retention_keep_last", Integer),
    Column("retention_max_age_seconds", BigInteger),
    Index(None, "project_id", "type"),
)

LIVE_COLLECTION = collections.c.deleted_at.is_(None)
"""Deleted collections keep their rows; names are unique among the live ones only."""

LIVE_NAME_INDEX = Index(
    "uq_collections_live_name",
    collections.c.project_id,
    collections.c.name,
    unique=True,
    sqlite_where=LIVE_COLLECTION,
)


def add_postgresql_options() -> None:
    """Give the partial unique index its PostgreSQL WHERE too. A ``postgresql_*`` option
    loads SQLAlchemy's PostgreSQL dialect, so it is added by the first PostgreSQL engine
    (``engine.py``), not here, where a SQLite store would pay that import."""
    LIVE_NAME_INDEX.dialect_kwargs["postgresql_where"] = LIVE_COLLECTION


runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("run_id", _name(), nullable=False),
    Column("name", Text, nullable=False),
    Column("job_type", Text),
    Column("group_name", Text),
    Column("notes", Text),
    Column("tags", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("config", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("host", Text),
    Column("pid", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("project_id", "run_id"),
    Index(None, "project_id", "created_at"),
)

versions = Table(
    "versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("collection_id", Integer, ForeignKey("collections.id"), nullable=False),
    Column("version_index", Integer, nullable=False),
    Column("digest", _digest(), nullable=False),
    Column("manifest_digest", _digest(), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("description", Text),
    Column("metadata_json", JSON, nullable=False),
    Column("ttl_seconds", BigInteger),
    Column("expires_at", UtcDateTime),
    Column("state", String(16), nullable=False),
    Column("producer_run_id", Integer, ForeignKey("runs.id")),
    Column("history_step", BigInteger),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("base_version_id", Integer),
    Column("source_version_id", Integer),
    Column("deleted_at", UtcDateTime),
    UniqueConstraint("collection_id", "version_index"),
    Index(None, "collection_id", "digest"),
    Index(None, "manifest_digest"),
    Index(None, "expires_at"),
    Index(None, "base_version_id"),
    Index(None, "source_version_id"),
    Index(None, "deleted_at"),
)
"""``base_version_id``: the version whose blob rows this one's extend (``version_blobs``
holds only the blobs none of its base chain's rows name; see ``service.blob_rows``).
``source_version_id``: set on a link in a registry collection, the version it names (its
digest, manifest and size are copied from it; its blobs are the source's).
``deleted_at``: when the version was soft-deleted (state ``DELETED``); the collector purges
it once its grace period has passed.
``ttl_seconds``: the version's TTL policy (``core.lifecycle``): positive seconds, -1 or NULL
to inherit the team default, -2 for none; ``expires_at`` is set for a positive one."""

registries = Table(
    "registries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("name", _name(), nullable=False),
    Column("description", Text),
    Column("visibility", String(16), nullable=False),
    Column("allow_all_types", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("name"),
    UniqueConstraint("project_id"),
)
Index("uq_registries_folded_name", func.lower(registries.c.name), unique=True)
"""A registry: the project ``wandb-registry-<name>`` of the organization's entity, with its
settings. Protected aliases, members with roles and the audit trail of its collections
are tables of their own keyed by ``registries.id`` (or by the collection and version).
Names match whatever their case (W&B's ``wandb-registry-zoo`` is the registry "Zoo"): the
folded unique index refuses two names that differ only by case (names are ASCII)."""

registry_types = Table(
    "registry_types",
    metadata,
    Column("registry_id", Integer, ForeignKey("registries.id"), nullable=False),
    Column("type", _name(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("registry_id", "type"),
)
"""The artifact types a registry accepts; rows are added, never removed."""

protected_aliases = Table(
    "protected_aliases",
    metadata,
    Column("registry_id", Integer, ForeignKey("registries.id"), nullable=False),
    Column("alias", _name(), nullable=False),
    Column("rule", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("registry_id", "alias"),
)
"""The aliases a registry protects: only its admins add them to or remove them from
versions, and a version holding one is unlinked or deleted only by an admin (its source not
at all). ``rule``: the promotion rule a version must pass to get the alias
(``core.promotion_rules``), or NULL."""

promotion_overrides = Table(
    "promotion_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version_id", Integer, nullable=False),
    Column("registry", _name(), nullable=False),
    Column("collection", _name(), nullable=False),
    Column("version_index", Integer, nullable=False),
    Column("alias", _name(), nullable=False),
    Column("rule", Text, nullable=False),
    Column("failures", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("user_name", _name(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "version_id"),
)
"""Append-only: each time a registry admin gave a protected alias to a version that failed its
promotion rule, with their reason and the comparisons that failed
(``service.promotion_overrides.record_override``). The names are kept as they were, and
``version_id`` has no foreign key, so the record outlives the link it speaks of."""

registry_members = Table(
    "registry_members",
    metadata,
    Column("registry_id", Integer, ForeignKey("registries.id"), nullable=False),
    Column("entity_id", Integer, ForeignKey("entities.id"), nullable=False),
    Column("role", String(24), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("registry_id", "entity_id"),
    Index(None, "entity_id"),
)
"""Who holds which role in a registry (``restricted_viewer``, ``viewer``, ``member``,
``admin``): a user (their personal entity) or a team, whose every member then holds the
role (``service.registry_roles``)."""

legacy_link_origins = Table(
    "legacy_link_origins",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("collection_id", "project_id"),
    Index(None, "project_id"),
)
"""The projects from which a bare link target (W&B's old model registry: ``link_artifact(art,
"<name>")``) linked into a collection of the ``model`` registry. W&B keeps such a link in the
run's project, so ``<entity>/<project>/<name>`` reads it from there (``service.legacy_links``)."""

aliases = Table(
    "aliases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("collection_id", Integer, ForeignKey("collections.id"), nullable=False),
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("alias", _name(), nullable=False),
    UniqueConstraint("collection_id", "alias"),
    Index(None, "version_id"),
)

version_tags = Table(
    "version_tags",
    metadata,
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("tag", _name(), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("version_id", "tag"),
    Index(None, "tag"),
)

version_blobs = Table(
    "version_blobs",
    metadata,
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("digest", _digest(), nullable=False),
    PrimaryKeyConstraint("version_id", "digest"),
    Index(None, "digest"),
    sqlite_with_rowid=False,  # the primary key is the table (see migration 0003)
)

run_history = Table(
    "run_history",
    metadata,
    Column("run_pk", Integer, ForeignKey("runs.id"), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("row", JSON, nullable=False),
    PrimaryKeyConstraint("run_pk", "step"),
)

run_files = Table(
    "run_files",
    metadata,
    Column("run_pk", Integer, ForeignKey("runs.id"), nullable=False),
    Column("path", Text, nullable=False),
    Column("digest", _digest(), nullable=False),
    Column("size", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_pk", "path"),
    Index(None, "digest"),
)

_EDGE_ENDS = {"run_pk": "runs.id", "version_id": "versions.id"}


def _edge_table(name: str, source: str, target: str) -> Table:
    """A lineage edge table: each (source, target) pair once, in the order recorded
    (``id``), searchable from either end (the unique key from the source, an index
    from the target)."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column(source, Integer, ForeignKey(_EDGE_ENDS[source]), nullable=False),
        Column(target, Integer, ForeignKey(_EDGE_ENDS[target]), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        UniqueConstraint(source, target),
        Index(None, target),
    )


logged_edges = _edge_table("logged_edges", "run_pk", "version_id")
"""run -> version: the run logged the version."""

used_edges = _edge_table("used_edges", "version_id", "run_pk")
"""version -> run: the run used the version."""

gc_marks = Table(
    "gc_marks",
    metadata,
    Column("digest", _digest(), primary_key=True),
    Column("first_seen", UtcDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", _name(), nullable=False),
    Column("is_admin", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
    UniqueConstraint("name"),
)
"""Server accounts; each user also has a personal entity of the same name. The keys of a
disabled user (``disabled_at`` set) are refused."""

KEY_ID_LENGTH = 16

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("key_hash", _digest(), nullable=False),
    Column("description", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("key_id", String(KEY_ID_LENGTH), nullable=False),  # last, where migration 0005 adds it
    UniqueConstraint("key_hash"),
    UniqueConstraint("key_id"),
    Index(None, "user_id"),
)
"""API keys: only the SHA-256 of a key is stored, and a random key id (not derived from the
key) that listings show and revoking takes."""

entity_members = Table(
    "entity_members",
    metadata,
    Column("entity_id", Integer, ForeignKey("entities.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("entity_id", "user_id"),
    Index(None, "user_id"),
)
"""A user's role (admin, member, viewer) in an entity: their own, or a team's."""


blob_grants = Table(
    "blob_grants",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("digest", _digest(), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("user_id", "digest"),
    Index(None, "digest"),
)
"""Blobs a user uploaded that no commit of theirs references yet: the user may read them
and they count against the user's upload quota (``service.blob_access``). ``verified``
is false while an upload is only planned."""


artifact_events = Table(
    "artifact_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("event_type", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("actor", _name(), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id"), nullable=False),
    Column("collection_id", Integer, ForeignKey("collections.id")),
    Column("alias", _name()),
    Column("tag", _name()),
    Column("version_id", Integer),
    Column("previous_version_id", Integer),
    Column("note", Text),
    Index(None, "collection_id", "id"),
    Index(None, "collection_id", "alias", "id"),
    Index(None, "collection_id", "alias", "created_at", "id"),
    Index(None, "project_id", "id"),
)
"""The append-only audit trail of versions, links, aliases and tags
(``service.artifact_events``): one row per change, written in the change's transaction,
never updated or deleted. ``id`` grows with every row (the automations' outbox may read
from it). ``version_id`` is the version after the change (for an alias: the version that
holds it afterwards, None once removed); ``previous_version_id`` the one before (the
alias's former holder; the version unlinked or deleted). ``collection_id`` is None for a
registry-wide change (a protected alias declared); ``note`` carries a reason (an override).
Indexes: a collection's history (by id), an alias's history (by id), an alias's holder at a
time (by time), and a project's events in order (an outbox reading a registry)."""

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", Integer, ForeignKey("entities.id"), nullable=False),
    Column("name", _name(), nullable=False),
    Column("url", Text, nullable=False),
    Column("signing_secret", Text, nullable=False),
    Column("access_token", Text),
    Column("secrets", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("entity_id", "name"),
)
"""An entity's webhook integrations. The secrets are kept to sign and send requests and are
never returned by a call (``service.webhooks``)."""

automations = Table(
    "automations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity_id", Integer, ForeignKey("entities.id"), nullable=False),
    Column("name", _name(), nullable=False),
    Column("description", Text),
    Column("enabled", Boolean, nullable=False),
    Column("scope_type", String(32), nullable=False),
    Column("scope_project", _name()),
    Column("scope_collection", _name()),
    Column("event_type", String(32), nullable=False),
    Column("filter", JSON, nullable=False),
    Column("action_type", String(32), nullable=False),
    Column("webhook_id", Integer, ForeignKey("webhooks.id")),
    Column("payload", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("entity_id", "name"),
    Index(None, "entity_id", "event_type"),
)
"""Automations: an event in a scope of the entity (the entity, one of its projects or
registries, or one collection), a filter, and an action."""

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("public_id", String(32), nullable=False),
    Column("automation_id", Integer, ForeignKey("automations.id"), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("event", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("lease_owner", String(64)),
    Column("lease_expires_at", UtcDateTime),
    Column("run_pk", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("hold_reason", Text),
    UniqueConstraint("public_id"),
    Index(None, "status", "next_attempt_at"),
    Index(None, "automation_id", "run_pk"),
)
"""The outbox: one row per (event, automation), written in the transaction of the change
that caused the event; dispatchers claim due rows with a lease (``service.dispatch``)."""

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id"), nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    Column("status_code", Integer),
    Column("duration_ms", Integer, nullable=False),
    Column("response_start", Text),
    Column("error", Text),
    Index(None, "delivery_id"),
)
"""Every attempt of a delivery: when, the answer's status and first bytes, or the error."""
