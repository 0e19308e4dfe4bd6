"""Committing a version: the one write that makes uploaded content visible.

The manifest is read and checked before the write lock is taken, to keep the
locked part short. Inside one transaction the collection row is locked (which
queues concurrent committers of the same collection), identical content is
looked up, every blob is checked to be in the store, and the version is
inserted with the next version number, its aliases, tags and lineage edge.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, insert, select, update

from archivist.core.errors import BlobNotFoundError, IntegrityError
from archivist.core.manifest import Manifest, hash_bytes
from archivist.core.models import CommitRequest, CommitResult, VersionState
from archivist.core.names import (
    validate_aliases,
    validate_artifact_name,
    validate_entity,
    validate_metadata,
    validate_project,
    validate_tags,
    validate_type,
)
from archivist.core.paths import LATEST
from archivist.metadata.engine import write_transaction
from archivist.metadata.schema import version_blobs, versions
from archivist.service.aliases import assign_aliases, take_aliases
from archivist.service.collections import allocate_version_index, lock_or_create_collection
from archivist.service.lineage import record_logged
from archivist.service.locks import guard_blob_references
from archivist.service.namespaces import ensure_project
from archivist.service.runs import run_pk
from archivist.service.timestamps import utc_now
from archivist.service.validation import (
    validate_count,
    validate_digest,
    validate_optional_text,
    validate_ttl,
)
from archivist.service.versions import add_tags, expiry, version_record
from archivist.storage.base import BlobStore

_IDENTICAL = (
    select(versions.c.id)
    .where(
        versions.c.collection_id == bindparam("collection_id"),
        versions.c.digest == bindparam("digest"),
        versions.c.state == VersionState.COMMITTED.value,
    )
    .order_by(versions.c.version_index)
    .limit(1)
)
"""The committed version of a collection with the same content, if any."""


def _artifact_path(request: CommitRequest) -> str:
    return f"{request.entity}/{request.project}/{request.name}"


def commit_version(engine: Engine, store: BlobStore, request: CommitRequest) -> CommitResult:
    checked = _check(request)
    manifest = _load_manifest(store, checked)
    with write_transaction(engine) as connection:
        guard_blob_references(connection)
        producer = run_pk(connection, checked.run) if checked.run is not None else None
        project_id = ensure_project(connection, checked.entity, checked.project)
        collection = lock_or_create_collection(
            connection, project_id, checked.project, checked.name, checked.type
        )
        identical = connection.execute(
            _IDENTICAL, {"collection_id": collection.id, "digest": checked.digest}
        ).scalar()
        if identical is not None:
            _reuse(connection, collection.id, identical, checked, producer)
            return CommitResult(version_record(connection, identical), created=False)
        _require_blobs(store, manifest, checked)
        version_id = _insert(connection, collection, manifest, checked, producer)
        return CommitResult(version_record(connection, version_id), created=True)


def _check(request: CommitRequest) -> CommitRequest:
    """The request with every field validated and normalised (``latest`` added to the aliases)."""
    name = validate_artifact_name(request.name)
    return dataclasses.replace(
        request,
        entity=validate_entity(request.entity),
        project=validate_project(request.project),
        name=name,
        type=validate_type(request.type, name, internal=True),
        digest=validate_digest(request.digest, "artifact digest"),
        manifest_digest=validate_digest(request.manifest_digest, "manifest digest"),
        description=validate_optional_text(request.description, "description"),
        metadata=validate_metadata(request.metadata),
        aliases=validate_aliases([*validate_aliases(request.aliases), LATEST]),
        tags=validate_tags(request.tags),
        ttl_seconds=validate_ttl(request.ttl_seconds),
        run=request.run,
        history_step=validate_count(request.history_step, "history_step", optional=True),
    )


def _load_manifest(store: BlobStore, checked: CommitRequest) -> Manifest:
    try:
        with store.open(checked.manifest_digest) as reader:
            data = reader.read()
    except BlobNotFoundError:
        raise BlobNotFoundError(
            f"the manifest {checked.manifest_digest} of artifact '{_artifact_path(checked)}' "
            "is not in the store; upload it before committing"
        ) from None
    if hash_bytes(data) != checked.manifest_digest:
        raise IntegrityError(f"the stored manifest {checked.manifest_digest} does not match its digest")
    manifest = Manifest.from_bytes(data)
    actual = manifest.digest()
    if actual != checked.digest:
        raise IntegrityError(
            f"artifact digest {checked.digest} of '{_artifact_path(checked)}' does not match its manifest "
            f"{checked.manifest_digest}, whose digest is {actual}"
        )
    return manifest


def _require_blobs(store: BlobStore, manifest: Manifest, checked: CommitRequest) -> None:
    missing = store.missing(manifest.blob_digests() | {checked.manifest_digest})
    if missing:
        example = sorted(missing)[0]
        paths = [entry.path for entry in manifest if entry.digest == example and entry.ref is None]
        where = f" ({paths[0]!r})" if paths else " (the manifest)"
        raise BlobNotFoundError(
            f"cannot commit artifact '{_artifact_path(checked)}': {len(missing)} blob(s) are missing "
            f"from the store, e.g. {example}{where}; upload them first"
        )


def _reuse(
    connection: Connection, collection_id: int, version_id: int, checked: CommitRequest, producer: int | None
) -> None:
    """Identical content is committed already: move the aliases to it and record the run."""
    assign_aliases(connection, collection_id, version_id, checked.aliases)
    connection.execute(update(versions).where(versions.c.id == version_id).values(updated_at=utc_now()))
    if producer is not None:
        record_logged(connection, producer, version_id)


def _insert(
    connection: Connection,
    collection: Row[Any],
    manifest: Manifest,
    checked: CommitRequest,
    producer: int | None,
) -> int:
    now = utc_now()
    index = allocate_version_index(connection, collection, now)
    result = connection.execute(
        insert(versions).values(
            collection_id=collection.id,
            version_index=index,
            digest=checked.digest,
            manifest_digest=checked.manifest_digest,
            size=manifest.size,
            file_count=len(manifest),
            description=checked.description,
            metadata_json=checked.metadata,
            ttl_seconds=checked.ttl_seconds,
            expires_at=expiry(now, checked.ttl_seconds),
            state=VersionState.COMMITTED.value,
            producer_run_id=producer,
            history_step=checked.history_step,
            created_at=now,
            updated_at=now,
        )
    )
    version_id = result.inserted_primary_key[0]
    blobs = sorted(manifest.blob_digests())
    if blobs:
        connection.execute(insert(version_blobs), [{"version_id": version_id, "digest": d} for d in blobs])
    add_tags(connection, version_id, checked.tags)
    take_aliases(connection, collection.id, version_id, checked.aliases)
    if producer is not None:
        record_logged(connection, producer, version_id)
    return version_id
