"""Committing a version: the one write that makes uploaded content visible.

The manifest is read and checked before the write lock is taken, to keep the
locked part short. Inside one transaction the collection row is locked (which
queues concurrent committers of the same collection), identical content is
looked up, every blob is checked to be in the store, and the version is
inserted with the next version number, its aliases, tags and lineage edge.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Set
from typing import Any, BinaryIO

import blake3
from sqlalchemy import Connection, Engine, Row, bindparam, insert, select, update

from archivist.core.artifact_events import EventType
from archivist.core.automation_events import version_events
from archivist.core.digest_checks import validate_digest
from archivist.core.errors import BlobNotFoundError, IntegrityError, InvalidInputError
from archivist.core.lifecycle import TTL_INHERIT
from archivist.core.manifest import ManifestSummary, iter_manifest_entries, summarise_manifest
from archivist.core.models import CommitRequest, CommitResult, VersionState
from archivist.core.names import (
    validate_aliases,
    validate_artifact_name,
    validate_description,
    validate_entity,
    validate_metadata,
    validate_project,
    validate_tags,
    validate_type,
)
from archivist.core.paths import LATEST
from archivist.core.registries import is_registry_project
from archivist.metadata.dialects import insert_values
from archivist.metadata.engine import write_transaction
from archivist.metadata.schema import (
    LIVE_COLLECTION,
    collections,
    entities,
    projects,
    version_blobs,
    versions,
)
from archivist.service import blob_access
from archivist.service.aliases import assign_aliases, take_aliases
from archivist.service.artifact_events import record_event, set_actor
from archivist.service.authorization import Access
from archivist.service.blob_rows import BlobRows, plan_rows
from archivist.service.collections import allocate_version_index, lock_or_create_collection
from archivist.service.event_outbox import Outbox
from archivist.service.lineage import record_logged
from archivist.service.locks import guard_blob_references
from archivist.service.namespaces import ensure_project
from archivist.service.runs import run_pk
from archivist.service.timestamps import utc_now
from archivist.service.ttl import checked_policy, may_set_ttl
from archivist.service.ttl import expiry as ttl_expiry
from archivist.service.validation import validate_count
from archivist.service.versions import add_tags, version_record
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


def commit_version(
    engine: Engine,
    store: BlobStore,
    request: CommitRequest,
    noted: ManifestSummary | None = None,
    access: Access | None = None,
    outbox: Outbox | None = None,
) -> CommitResult:
    """``noted``: the summary of the manifest as the caller in this process built it (see
    ``noted_manifests``); the manifest is then not read back, only its presence checked.
    ``access``: the user committing on a server; the manifest may name only blobs they may
    read or uploaded themselves (``blob_access``), so a crafted manifest grants nothing.
    ``outbox``: takes the events of the commit (a new version, aliases and tags added)."""
    checked = _check(request)
    if noted is not None and noted.digest != checked.digest:
        raise _digest_mismatch(checked, noted)
    # Re-logging unchanged content is common: when an identical version exists the manifest
    # is not needed at all, so it is read only when it will be used (outside the lock).
    manifest = noted
    if manifest is None and not _has_identical(engine, checked):
        manifest = _load_manifest(store, checked)
    with write_transaction(engine) as connection:
        if access is not None:
            set_actor(connection, access.user)
        guard_blob_references(connection)
        producer = run_pk(connection, checked.run) if checked.run is not None else None
        project_id = ensure_project(connection, checked.entity, checked.project)
        checked = _ttl_allowed(connection, access, checked)
        collection = lock_or_create_collection(
            connection, project_id, checked.project, checked.name, checked.type
        )
        identical = connection.execute(
            _IDENTICAL, {"collection_id": collection.id, "digest": checked.digest}
        ).scalar()
        if identical is not None:
            before = version_record(connection, identical) if outbox is not None else None
            _reuse(connection, collection.id, identical, checked, producer)
            found = version_record(connection, identical)
            if outbox is not None and before is not None:
                outbox.emit(connection, version_events(before, found, outbox.author))
            return CommitResult(found, created=False)
        if manifest is None:  # the identical version was deleted meanwhile: a rare slow path
            manifest = _load_manifest(store, checked)
        rows = plan_rows(connection, collection.id, manifest.blob_digests())
        named = (manifest.blob_digests() - rows.known) | {checked.manifest_digest}
        _require_blobs(store, manifest, checked, named, blob_access.readable(connection, access, named))
        version_id = _insert(connection, collection, manifest, checked, producer, rows)
        blob_access.release(connection, access, named)
        committed = version_record(connection, version_id)
        if outbox is not None:
            outbox.emit(connection, version_events(None, committed, outbox.author))
        return CommitResult(committed, created=True)


def _has_identical(engine: Engine, checked: CommitRequest) -> bool:
    """Whether the collection has a committed version with this content (read without locks)."""
    statement = (
        select(versions.c.id)
        .join(collections, collections.c.id == versions.c.collection_id)
        .join(projects, projects.c.id == collections.c.project_id)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(
            entities.c.name == checked.entity,
            projects.c.name == checked.project,
            collections.c.name == checked.name,
            LIVE_COLLECTION,
            versions.c.digest == checked.digest,
            versions.c.state == VersionState.COMMITTED.value,
        )
        .limit(1)
    )
    with engine.connect() as connection:
        return connection.execute(statement).first() is not None


def _check(request: CommitRequest) -> CommitRequest:
    """The request with every field validated and normalised (``latest`` added to the aliases)."""
    name = validate_artifact_name(request.name)
    if is_registry_project(request.project):
        raise InvalidInputError(
            f"cannot log {name!r} into {request.project!r}: projects named 'wandb-registry-...' are "
            "registries; log it into a project and link it with run.link_artifact(artifact, "
            f"'{request.project}/<collection>')"
        )
    return dataclasses.replace(
        request,
        entity=validate_entity(request.entity),
        project=validate_project(request.project),
        name=name,
        type=validate_type(request.type, name, internal=True),
        digest=validate_digest(request.digest, "artifact digest"),
        manifest_digest=validate_digest(request.manifest_digest, "manifest digest"),
        description=validate_description(request.description),
        metadata=validate_metadata(request.metadata),
        aliases=validate_aliases([*validate_aliases(request.aliases), LATEST]),
        tags=validate_tags(request.tags),
        ttl_seconds=checked_policy(request.ttl_seconds, request.type, is_link=False),
        run=request.run,
        history_step=validate_count(request.history_step, "history_step", optional=True),
    )


def _ttl_allowed(connection: Connection, access: Access | None, checked: CommitRequest) -> CommitRequest:
    """A TTL the committer may not set (the team lets admins only) does not apply: the
    version inherits the team default, as when none was given (SPEC §6)."""
    unset = checked_policy(TTL_INHERIT, checked.type, is_link=False)
    if checked.ttl_seconds == unset or may_set_ttl(connection, access, checked.entity, checked.project):
        return checked
    return dataclasses.replace(checked, ttl_seconds=unset)


_MANIFEST_BLOCK_BYTES = 1 << 22
"""Manifests are read in blocks of this size (a million entries is ~180 MB)."""


def _load_manifest(store: BlobStore, checked: CommitRequest) -> ManifestSummary:
    """Stream the stored manifest once: its bytes must hash to its digest, every entry must
    be well formed (paths that cannot escape a root), and its entries must give the artifact
    digest. Only what the commit needs is kept: counts, size and the blob digests."""
    digest = checked.manifest_digest
    hasher = blake3.blake3()
    try:
        reader = store.open(digest)
    except BlobNotFoundError:
        raise BlobNotFoundError(
            f"the manifest {digest} of artifact '{_artifact_path(checked)}' "
            "is not in the store; upload it before committing"
        ) from None
    mismatch = IntegrityError(f"the stored manifest {digest} does not match its digest")
    with reader:
        blocks = _hashed_blocks(reader, hasher)
        try:
            summary = summarise_manifest(blocks)
        except ValueError:
            for _ in blocks:  # damaged bytes are reported as such, not as a malformed line
                pass
            if hasher.hexdigest() != digest:
                raise mismatch from None
            raise
        for _ in blocks:
            pass
    if hasher.hexdigest() != digest:
        raise mismatch
    if summary.digest != checked.digest:
        raise _digest_mismatch(checked, summary)
    return summary


def _digest_mismatch(checked: CommitRequest, summary: ManifestSummary) -> IntegrityError:
    return IntegrityError(
        f"artifact digest {checked.digest} of '{_artifact_path(checked)}' does not match its manifest "
        f"{checked.manifest_digest}, whose digest is {summary.digest}"
    )


def _require_blobs(
    store: BlobStore, manifest: ManifestSummary, checked: CommitRequest, named: Set[str], readable: Set[str]
) -> None:
    """Every blob of ``named`` (the manifest and the blobs its base chain's rows do not name:
    the collector keeps those, and it is kept out meanwhile) must be in the store and
    readable by the committer; one that is not readable is reported as missing. The size
    every entry of a stored manifest claims must be its blob's (``IntegrityError``)."""
    held = store.sizes(named)
    missing = {digest for digest in named if digest not in held} | (named - readable)
    if missing:
        example = sorted(missing)[0]
        path = None if example == checked.manifest_digest else _path_of_blob(store, checked, example)
        where = f" ({path!r})" if path else " (the manifest)"
        raise BlobNotFoundError(
            f"cannot commit artifact '{_artifact_path(checked)}': {len(missing)} blob(s) are missing "
            f"from the store, e.g. {example}{where}; upload them first"
        )
    for digest, path in manifest.size_conflicts.items():
        raise IntegrityError(
            f"cannot commit artifact '{_artifact_path(checked)}': the entry {path!r} gives blob {digest} "
            f"another size than an earlier entry ({manifest.blob_sizes[digest]} bytes); a blob has one size"
        )
    others = manifest.blob_sizes.keys() - named  # in the base chain: known to be held
    if others:
        held.update(store.sizes(others))
    wrong = sorted(d for d, claimed in manifest.blob_sizes.items() if d in held and held[d] != claimed)
    if wrong:
        example = wrong[0]
        path = _path_of_blob(store, checked, example)
        raise IntegrityError(
            f"cannot commit artifact '{_artifact_path(checked)}': the entry {path!r} claims "
            f"{manifest.blob_sizes[example]} bytes for blob {example}, which holds {held[example]} bytes "
            f"({len(wrong)} entries in all disagree with their blobs)"
        )


def _hashed_blocks(reader: BinaryIO, hasher: blake3.blake3) -> Iterator[bytes]:
    while block := reader.read(_MANIFEST_BLOCK_BYTES):
        hasher.update(block)
        yield block


def _path_of_blob(store: BlobStore, checked: CommitRequest, blob: str) -> str | None:
    """The first path of the manifest stored as ``blob`` (read again: only for an error message)."""
    try:
        with store.open(checked.manifest_digest) as reader:
            for entry in iter_manifest_entries(_hashed_blocks(reader, blake3.blake3())):
                if entry.ref is None and entry.digest == blob:
                    return entry.path
    except BlobNotFoundError:
        pass
    return None


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
    manifest: ManifestSummary,
    checked: CommitRequest,
    producer: int | None,
    rows: BlobRows,
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
            expires_at=ttl_expiry(now, checked.ttl_seconds),
            state=VersionState.COMMITTED.value,
            producer_run_id=producer,
            history_step=checked.history_step,
            created_at=now,
            updated_at=now,
            base_version_id=rows.base,
        )
    )
    inserted = result.inserted_primary_key
    assert inserted is not None  # None only for a statement that inserts no row
    version_id: int = inserted[0]
    insert_values(connection, version_blobs, ("version_id", version_id), "digest", rows.rows)
    add_tags(connection, version_id, checked.tags)
    record_event(connection, EventType.CREATE_ARTIFACT, collection.id, version_id=version_id)
    take_aliases(connection, collection.id, version_id, checked.aliases)
    if producer is not None:
        record_logged(connection, producer, version_id)
    return version_id
