"""Links: a registry collection's versions that name a version logged elsewhere.

A link copies no data: its row carries the source's digest, manifest pointer, size,
description, metadata and tags (as they were when it was linked) and ``source_version_id``.
It has its own dense version number and aliases in the registry collection; linking the
same source again returns the existing link and applies the new aliases. Lineage and
blobs are the source's. Deleting a source version deletes its links.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from archivist.core.artifact_events import EventType
from archivist.core.errors import ArtifactNotFoundError, TypeConflictError
from archivist.core.ids import parse_version_id, split_run_path
from archivist.core.models import VersionRecord, VersionState
from archivist.core.names import validate_aliases
from archivist.core.paths import LATEST
from archivist.core.registries import registry_project, validate_registry_collection
from archivist.metadata.schema import LIVE_COLLECTION, collections, versions
from archivist.service.aliases import assign_aliases
from archivist.service.artifact_events import record_event
from archivist.service.collections import allocate_version_index, lock_or_create_collection
from archivist.service.records import load_versions, version_select, versions_by_id
from archivist.service.registries import accepted_types, find_registry, require_registry
from archivist.service.timestamps import utc_now
from archivist.service.ttl import clear_ttl
from archivist.service.versions import add_tags

_COMMITTED = VersionState.COMMITTED.value


def _live_version(connection: Connection, version_id: int, shown_id: object) -> Row[Any]:
    row = connection.execute(
        select(versions).where(versions.c.id == version_id, versions.c.state == _COMMITTED)
    ).first()
    if row is None:
        raise ArtifactNotFoundError(f"artifact version {shown_id!r} not found")
    return row


def content_version_id(row: Row[Any]) -> int:
    """The version whose content and lineage a version row stands for: a link's source."""
    source: int | None = row.source_version_id
    return row.id if source is None else source


def linked_node(connection: Connection, node_id: str) -> str:
    """A lineage root: a link's source for a link, else ``node_id`` as it is."""
    if not isinstance(node_id, str) or split_run_path(node_id) is not None:
        return node_id
    source = connection.execute(
        select(versions.c.source_version_id).where(versions.c.id == parse_version_id(node_id))
    ).scalar()
    return node_id if source is None else str(source)


def existing_collection(connection: Connection, registry: str, collection: object) -> int | None:
    """The live collection of that name in the registry, if there is one (before a link)."""
    found = find_registry(connection, registry)
    if found is None or not isinstance(collection, str):
        return None
    statement = select(collections.c.id).where(
        collections.c.project_id == found.project_id, collections.c.name == collection, LIVE_COLLECTION
    )
    return connection.execute(statement).scalar()


def link_version(
    connection: Connection, source_row: Row[Any], registry: str, collection: str, aliases: Sequence[str]
) -> VersionRecord:
    """Link ``source_row`` (a link's source, when it is a link) into ``registry``'s
    ``collection``, creating the collection with the source's type on first use."""
    source = _live_version(connection, content_version_id(source_row), source_row.id)
    name = validate_registry_collection(collection)
    wanted = validate_aliases(aliases)
    registry_row = require_registry(connection, registry)
    source_record = versions_by_id(connection, [source.id])[0]
    source_name = f"{source_record.qualified_collection}:{source_record.version}"
    types = accepted_types(connection, registry_row.id)
    if not registry_row.allow_all_types and source_record.type not in types:
        raise TypeConflictError(
            f"registry {registry_row.name!r} accepts the types {list(types)}; cannot link "
            f"{source_name!r} of type {source_record.type!r}"
        )
    project = registry_project(registry_row.name)
    existing = connection.execute(
        select(collections.c.type).where(
            collections.c.project_id == registry_row.project_id, collections.c.name == name, LIVE_COLLECTION
        )
    ).scalar()
    if existing is not None and existing != source_record.type:
        raise TypeConflictError(
            f"collection {name!r} of registry {registry_row.name!r} holds type {existing!r}; "
            f"cannot link {source_name!r} of type {source_record.type!r}"
        )
    target = lock_or_create_collection(connection, registry_row.project_id, project, name, source_record.type)
    found = connection.execute(
        select(versions.c.id).where(
            versions.c.collection_id == target.id,
            versions.c.source_version_id == source.id,
            versions.c.state == _COMMITTED,
        )
    ).scalar()
    if found is None:
        now = utc_now()
        index = allocate_version_index(connection, target, now)
        inserted = connection.execute(
            insert(versions).values(
                collection_id=target.id,
                version_index=index,
                digest=source.digest,
                manifest_digest=source.manifest_digest,
                size=source.size,
                file_count=source.file_count,
                description=source.description,
                metadata_json=source.metadata_json,
                ttl_seconds=None,
                expires_at=None,
                state=_COMMITTED,
                producer_run_id=source.producer_run_id,
                history_step=source.history_step,
                created_at=now,
                updated_at=now,
                base_version_id=None,
                source_version_id=source.id,
            )
        ).inserted_primary_key
        assert inserted is not None
        found = inserted[0]
        add_tags(connection, int(found), tuple(source_record.tags))
        record_event(connection, EventType.LINK_ARTIFACT, target.id, version_id=int(found))
        wanted = (LATEST, *wanted)
    assign_aliases(connection, target.id, int(found), wanted)
    clear_ttl(connection, source.id)
    return versions_by_id(connection, [int(found)])[0]


def links_of(connection: Connection, version_id: int) -> list[VersionRecord]:
    """The live links of a version (of its source, when it is a link), oldest first."""
    statement = (
        version_select()
        .where(versions.c.source_version_id == version_id, versions.c.state == _COMMITTED, LIVE_COLLECTION)
        .order_by(versions.c.id)
    )
    return load_versions(connection, statement)
