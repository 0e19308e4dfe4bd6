"""The Service: every operation of the Backend protocol over one metadata
database and one BlobStore, each call in one transaction."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine

from archivist.core.accounts import ADMIN
from archivist.core.artifact_events import ArtifactEvent
from archivist.core.automation_events import run_metric_event, run_state_event, unlink_event, version_events
from archivist.core.collector import DEFAULT_GRACE_SECONDS, BlobHolders, GcReport, StorageUsage
from archivist.core.digest_checks import validate_digest, validate_digests
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError, PermissionDeniedError
from archivist.core.lifecycle import SweepReport, parse_as_of
from archivist.core.manifest import ManifestSummary
from archivist.core.models import (
    CollectionRecord,
    CollectionUpdate,
    CommitRequest,
    CommitResult,
    Direction,
    LineageGraph,
    ProjectRecord,
    RunFile,
    RunQuery,
    RunRecord,
    RunRef,
    RunSpec,
    RunUpdate,
    VersionQuery,
    VersionRecord,
    VersionUpdate,
)
from archivist.core.names import validate_entity
from archivist.core.registries import (
    DEFAULT_MEMBER_ROLE,
    LinkOrigin,
    PromotionOverride,
    RegistryMember,
    RegistryRecord,
    RegistryUpdate,
    validate_link_origin,
)
from archivist.core.settings import DEFAULT_ENTITY
from archivist.core.transfers import (
    DownloadTarget,
    TransferMode,
    TransferPolicy,
    UploadCompletion,
    UploadRequest,
    UploadTarget,
)
from archivist.metadata.engine import read_transaction, write_transaction
from archivist.metadata.schema import logged_edges, used_edges
from archivist.service import (
    alias_guard,
    blob_access,
    blob_holders,
    blobs,
    collections,
    commits,
    expiry_sweep,
    gc,
    history,
    legacy_links,
    lineage,
    links,
    lookup_hints,
    namespaces,
    promotion_overrides,
    protected_aliases,
    records,
    registries,
    registry_roles,
    restoring,
    run_data,
    run_queries,
    runs,
    storage_usage,
    transfers,
    ttl,
    versions,
)
from archivist.service.artifact_events import set_actor
from archivist.service.authorization import Access
from archivist.service.automation_calls import AutomationCalls
from archivist.service.blobs import ProgressCallback
from archivist.service.dispatch import DeliveryPolicy
from archivist.service.dispatcher import Dispatcher
from archivist.service.noted_manifests import NotedManifests
from archivist.service.webhook_urls import UrlPolicy
from archivist.storage.base import BlobStore


class Service(AutomationCalls):
    """Implements ``archivist.core.backend.Backend`` in-process, and the blob calls a server's
    routes, its UI and the embedded store's BlobTransfer make of the store."""

    def __init__(
        self,
        engine: Engine,
        store: BlobStore,
        default_entity: str = DEFAULT_ENTITY,
        upload_quota: int | None = None,
        urls: UrlPolicy | None = None,
        delivery_policy: DeliveryPolicy | None = None,
    ) -> None:
        """``upload_quota``: the bytes each user of a server may have uploaded that no commit
        references yet (None: no bound). ``urls``: where webhooks may send (a server's
        default: public addresses only)."""
        self.engine = engine
        self.store = store
        self.upload_quota = upload_quota
        self._default_entity = default_entity
        self._noted_manifests = NotedManifests()
        self.urls = urls or UrlPolicy()
        self.delivery_policy = delivery_policy or DeliveryPolicy()
        self.dispatcher: Dispatcher | None = None
        """Delivers the outbox in this process (a server's, or the embedded store's, started
        when this process's changes wrote deliveries); None: other processes deliver."""
        self.access: Access | None = None
        """The user whose calls these are (a server's request), or None: every right (the
        embedded store's own user, maintenance)."""
        self.sweep_step: gc.SweepStep | None = gc.expiry_step
        """The collector's first step: soft-deleting what expired (TTLs, retention rules)."""

    def for_user(self, access: Access) -> Service:
        """This service as one user of a server uses it: blob presence and reads are scoped
        to the blobs they may read, and their commits may name only those."""
        scoped = copy.copy(self)
        scoped.access = access
        scoped._default_entity = access.user
        return scoped

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction whose audit-trail events name this service's user."""
        with write_transaction(self.engine) as connection:
            set_actor(connection, DEFAULT_ENTITY if self.access is None else self.access.user)
            yield connection

    # --- identity -------------------------------------------------------------------------
    def default_entity(self) -> str:
        return self._default_entity

    def event_author(self) -> str:
        return self.access.user if self.access is not None else self._default_entity

    # --- runs -----------------------------------------------------------------------------
    def upsert_run(self, spec: RunSpec) -> RunRecord:
        with self._writing() as connection:
            return runs.upsert_run(connection, spec)

    def update_run(self, ref: RunRef, update: RunUpdate) -> RunRecord:
        outbox = self.outbox()
        with self._writing() as connection:
            row = runs.require_run(connection, ref)
            before = records.run_record(row)
            after = runs.update_run(connection, ref, update)
            outbox.emit(connection, run_state_event(before, after, outbox.author, row.id))
        self.delivered_soon(outbox)
        return after

    def get_run(self, ref: RunRef) -> RunRecord:
        return runs.get_run(self.engine, ref)

    def list_runs(self, entity: str, project: str) -> list[RunRecord]:
        return runs.list_runs(self.engine, entity, project)

    def query_runs(self, query: RunQuery) -> list[RunRecord]:
        return run_queries.query_runs(self.engine, query)

    def count_runs(self, query: RunQuery) -> int:
        return run_queries.count_runs(self.engine, query)

    def delete_run(self, ref: RunRef) -> None:
        with self._writing() as connection:
            run_queries.delete_run(connection, ref)

    def append_history(self, ref: RunRef, rows: Sequence[Mapping[str, Any]]) -> None:
        outbox = self.outbox()
        with self._writing() as connection:
            row = runs.require_run(connection, ref)
            run_data.append_history(connection, row.id, rows)
            metrics = tuple(
                sorted({key for r in rows if isinstance(r, Mapping) for key in r if not key.startswith("_")})
            )
            outbox.emit(connection, run_metric_event(records.run_record(row), outbox.author, row.id, metrics))
        self.delivered_soon(outbox)

    def read_history(
        self, ref: RunRef, min_step: int = 0, max_step: int | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        with read_transaction(self.engine) as connection:
            return run_data.read_history(connection, runs.run_pk(connection, ref), min_step, max_step, limit)

    def add_run_files(self, ref: RunRef, files: Sequence[RunFile]) -> None:
        with self._writing() as connection:
            run_data.add_run_files(connection, self.store, runs.run_pk(connection, ref), files, self.access)

    def list_run_files(self, ref: RunRef) -> list[RunFile]:
        with read_transaction(self.engine) as connection:
            return run_data.list_run_files(connection, runs.run_pk(connection, ref))

    # --- blobs ----------------------------------------------------------------------------
    def missing_blobs(self, digests: Sequence[str]) -> list[str]:
        """The digests the store lacks, and, on a server, those the user may not read (they
        must send the bytes to prove they hold them)."""
        missing = blobs.missing_blobs(self.store, digests)
        if blob_access.sees_every_blob(self.access):
            return missing
        asked = list(dict.fromkeys(digests))
        with read_transaction(self.engine) as connection:
            shown = blob_access.readable(connection, self.access, set(asked).difference(missing))
        return [digest for digest in asked if digest not in shown]

    def require_readable(self, digests: Sequence[str]) -> None:
        """``BlobNotFoundError`` for a blob the user may not read (worded as for an absent one)."""
        if not blob_access.sees_every_blob(self.access):
            with read_transaction(self.engine) as connection:
                blob_access.require_readable(connection, self.access, validate_digests(digests))

    def reserve_uploads(self, sizes: Mapping[str, int]) -> None:
        """Count planned uploads (digest -> bytes) against the user's upload quota."""
        if not blob_access.sees_every_blob(self.access) and sizes:
            with self._writing() as connection:
                blob_access.reserve(connection, self.access, sizes, self.upload_quota)

    def confirm_uploads(self, sizes: Mapping[str, int]) -> None:
        """The server verified these uploaded bytes: the user may read them until a commit
        references them (``blob_access``)."""
        if not blob_access.sees_every_blob(self.access) and sizes:
            with self._writing() as connection:
                blob_access.confirm(connection, self.access, sizes)

    def upload_plan(self, requests: Sequence[UploadRequest], policy: TransferPolicy) -> list[UploadTarget]:
        """How to send each blob (``service.transfers``); a blob the user may not read is to be
        sent like a missing one, and every upload to make is reserved against their quota."""
        targets = transfers.plan_uploads(self.store, requests, policy, shown=self._shown_blobs)
        self.reserve_uploads({t.digest: t.size for t in targets if t.mode is not TransferMode.STORED})
        return targets

    def upload_complete(self, completions: Sequence[UploadCompletion]) -> list[str]:
        """Verify and store direct uploads; the user may then read them."""
        if not blob_access.sees_every_blob(self.access):
            with read_transaction(self.engine) as connection:
                digests = [getattr(completion, "digest", None) for completion in completions]
                blob_access.require_reserved(connection, self.access, digests)
        stored = transfers.complete_uploads(self.store, completions)
        self.confirm_uploads(dict.fromkeys(stored, 0))  # reserved: their sizes are counted already
        return stored

    def download_plan(self, digests: Sequence[str], policy: TransferPolicy) -> list[DownloadTarget]:
        """How to fetch each blob; ``BlobNotFoundError`` for one the user may not read."""
        self.require_readable(digests)
        return transfers.plan_downloads(self.store, digests, policy)

    def _shown_blobs(self, present: Sequence[str]) -> set[str]:
        with read_transaction(self.engine) as connection:
            return blob_access.readable(connection, self.access, present)

    def upload_files(
        self,
        files: Sequence[tuple[str, str]],
        progress: ProgressCallback | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        blobs.upload_files(self.store, files, progress, held)

    def upload_bytes(self, digest: str, data: bytes) -> None:
        self.store.put_bytes(validate_digest(digest), data)

    def note_manifest(self, manifest_digest: str, summary: ManifestSummary) -> None:
        """What the manifest this process just stored holds, handed to its commit (the
        embedded store's ``upload_manifest``; a server's clients are never taken at their word)."""
        self._noted_manifests.note(manifest_digest, summary)

    def download_blob(self, digest: str, dest_path: str, progress: ProgressCallback | None = None) -> None:
        self.require_readable([digest])
        blobs.download_blob(self.store, digest, dest_path, progress)

    def download_blobs(
        self, items: Sequence[tuple[str, str]], progress: ProgressCallback | None = None, link: bool = False
    ) -> None:
        self.require_readable([digest for digest, _ in items])
        blobs.download_blobs(self.store, items, progress, link)

    def read_bytes(self, digest: str) -> bytes:
        self.require_readable([digest])
        return blobs.read_bytes(self.store, digest)

    def local_blob_path(self, digest: str) -> str | None:
        """The store's own file of the blob (the UI serves it as it is); None for a blob in
        a pack or an object store."""
        self.require_readable([validate_digest(digest)])
        return self.store.local_path(digest)

    # --- versions -------------------------------------------------------------------------
    def commit_version(self, request: CommitRequest) -> CommitResult:
        noted = self._noted_manifests.take(request.manifest_digest)
        outbox = self.outbox()
        result = commits.commit_version(self.engine, self.store, request, noted, self.access, outbox)
        self.delivered_soon(outbox)
        return result

    def resolve_version(self, entity: str, project: str, collection: str, selector: str) -> VersionRecord:
        with read_transaction(self.engine) as connection:
            project = registries.canonical_project(connection, entity, project)
            try:
                return versions.resolve_version(connection, entity, project, collection, selector)
            except ArtifactNotFoundError as error:
                missing = error
            linked = legacy_links.read_from(connection, entity, project, collection, self._may_read_registry)
            if linked != (entity, project):  # a bare target's link, read from the project it was made in
                entity, project = linked
                try:
                    return versions.resolve_version(connection, entity, project, collection, selector)
                except ArtifactNotFoundError as error:
                    missing = error
            nearby = lookup_hints.describe_missing(
                connection, self.store, entity, project, collection, selector
            )
            if not nearby:
                raise missing
            raise ArtifactNotFoundError(f"{missing}: {nearby}") from None

    def resolve_version_as_of(
        self, entity: str, project: str, collection: str, selector: str, as_of: str
    ) -> VersionRecord:
        with read_transaction(self.engine) as connection:
            project = registries.canonical_project(connection, entity, project)
            return history.resolve_version_as_of(connection, entity, project, collection, selector, as_of)

    def collection_history(
        self,
        entity: str,
        project: str,
        collection: str,
        alias: str | None = None,
        event_types: Sequence[str] = (),
        before: int | None = None,
        limit: int = 50,
    ) -> list[ArtifactEvent]:
        with read_transaction(self.engine) as connection:
            project = registries.canonical_project(connection, entity, project)
            return history.collection_history(
                connection, entity, project, collection, alias, event_types, before, limit
            )

    def _may_read_registry(self, name: str) -> bool:
        return self.access is None or self.access.registry_role(name) is not None

    def get_version(self, version_id: str) -> VersionRecord:
        with read_transaction(self.engine) as connection:
            return versions.get_version(connection, version_id)

    def list_versions(self, query: VersionQuery) -> list[VersionRecord]:
        with read_transaction(self.engine) as connection:
            project = registries.canonical_project(connection, query.entity, query.project)
            return versions.list_versions(connection, dataclasses.replace(query, project=project))

    def update_version(
        self, version_id: str, update: VersionUpdate, override_reason: str | None = None
    ) -> VersionRecord:
        """Protected aliases the update gives or takes are checked after it, in its transaction."""
        outbox = self.outbox()
        with self._writing() as connection:
            previous = versions.get_version(connection, version_id)
            row = versions.require_version_row(connection, version_id)
            collection_id = row.collection_id
            collections.lock_collection_by_id(connection, collection_id)
            before = alias_guard.holders(connection, collection_id)
            update = ttl.allowed_update(connection, self.access, row.id, update)
            updated = versions.update_version(connection, version_id, update)
            alias_guard.check_moves(connection, self._actor(), collection_id, before, override_reason)
            outbox.emit(connection, version_events(previous, updated, outbox.author))
        self.delivered_soon(outbox)
        return updated

    def delete_version(self, version_id: str, delete_aliases: bool = False) -> None:
        outbox = self.outbox()
        with self._writing() as connection:
            row = versions.require_version_row(connection, version_id)
            alias_guard.check_deletion(connection, self._actor(), [row.id])
            before = versions.get_version(connection, version_id)
            # a link is unlinked; a source takes its links with it
            unlinked = [before] if before.source is not None else links.links_of(connection, int(before.id))
            versions.delete_version(connection, version_id, delete_aliases)
            outbox.emit(connection, [unlink_event(link, outbox.author) for link in unlinked])
        self.delivered_soon(outbox)

    def restore_version(
        self, entity: str, project: str, collection: str, version_index: int
    ) -> VersionRecord:
        with self._writing() as connection:
            return restoring.restore_version(connection, entity, project, collection, version_index)

    def list_deleted_versions(
        self, entity: str, project: str, collection: str | None = None
    ) -> list[VersionRecord]:
        with read_transaction(self.engine) as connection:
            return restoring.list_deleted_versions(connection, entity, project, collection)

    # --- lifecycle: team default TTL, the sweep, deleting projects ------------------------
    def set_default_ttl(self, entity: str, ttl_seconds: int | None) -> None:
        with self._writing() as connection:
            ttl.set_default_ttl(connection, entity, ttl_seconds)

    def get_default_ttl(self, entity: str) -> int | None:
        with read_transaction(self.engine) as connection:
            return ttl.get_default_ttl(connection, entity)

    def set_ttl_editors(self, entity: str, editors: str) -> None:
        with self._writing() as connection:
            ttl.set_ttl_editors(connection, entity, editors)

    def get_ttl_editors(self, entity: str) -> str:
        with read_transaction(self.engine) as connection:
            return ttl.get_ttl_editors(connection, entity)

    def sweep(self, entity: str, dry_run: bool = False, as_of: str | None = None) -> SweepReport:
        """Each deletion is a transaction of its own (``service.expiry_sweep``)."""
        return expiry_sweep.sweep(self.engine, parse_as_of(as_of), validate_entity(entity), dry_run)

    def delete_project(self, entity: str, project: str) -> None:
        with self._writing() as connection:
            for collection_id in restoring.live_collection_ids(connection, entity, project):
                alias_guard.check_deletion(
                    connection, self._actor(), alias_guard.live_versions(collection_id)
                )
            restoring.delete_project(connection, entity, project)

    def _actor(self) -> alias_guard.Actor:
        """Who calls, for the protected aliases: a server's user with their registry roles,
        or the embedded store's own user, admin of every registry."""
        access = self.access
        if access is None:
            return alias_guard.Actor(self._default_entity, lambda registry: True)
        return alias_guard.Actor(access.user, lambda registry: access.registry_role(registry) == ADMIN)

    # --- collections and types ------------------------------------------------------------
    def list_projects(self, entity: str) -> list[str]:
        with read_transaction(self.engine) as connection:
            return namespaces.list_projects(connection, entity)

    def get_project(self, entity: str, project: str) -> ProjectRecord:
        with read_transaction(self.engine) as connection:
            project = registries.canonical_project(connection, entity, project)
            return namespaces.get_project(connection, entity, project)

    def list_project_records(self, entity: str) -> list[ProjectRecord]:
        with read_transaction(self.engine) as connection:
            return namespaces.list_project_records(connection, entity)

    def list_types(self, entity: str, project: str) -> list[str]:
        with read_transaction(self.engine) as connection:
            project = registries.canonical_project(connection, entity, project)
            return collections.list_types(connection, entity, project)

    def list_collections(
        self,
        entity: str,
        project: str,
        type_name: str | None = None,
        filter: Mapping[str, Any] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[CollectionRecord]:
        with read_transaction(self.engine) as connection:
            project = registries.canonical_project(connection, entity, project)
            return collections.list_collections(connection, entity, project, type_name, filter, offset, limit)

    def get_collection(self, entity: str, project: str, name: str) -> CollectionRecord:
        with read_transaction(self.engine) as connection:
            project = registries.canonical_project(connection, entity, project)
            return collections.get_collection(connection, entity, project, name)

    def update_collection(
        self, entity: str, project: str, name: str, update: CollectionUpdate
    ) -> CollectionRecord:
        with self._writing() as connection:
            project = registries.canonical_project(connection, entity, project)
            return collections.update_collection(connection, entity, project, name, update)

    def delete_collection(self, entity: str, project: str, name: str) -> None:
        with self._writing() as connection:
            project = registries.canonical_project(connection, entity, project)
            row = collections.require_collection(connection, entity, project, name, lock=True)
            alias_guard.check_deletion(connection, self._actor(), alias_guard.live_versions(row.id))
            collections.delete_collection(connection, entity, project, name)

    # --- lineage --------------------------------------------------------------------------
    def record_use(self, ref: RunRef, version_id: str) -> None:
        """Using a link records the edge to its source (the graph shows who made it)."""
        with self._writing() as connection:
            version = versions.require_version_row(connection, version_id)
            lineage.record_use(connection, runs.run_pk(connection, ref), links.content_version_id(version))

    def record_output(self, ref: RunRef, version_id: str) -> None:
        with self._writing() as connection:
            version = versions.require_version_row(connection, version_id)
            run = runs.require_run(connection, ref)
            if collections.project_id_of(connection, version.collection_id) != run.project_id:
                raise InvalidInputError(
                    f"run '{ref.path}' cannot log artifact version {version_id!r} of another project: "
                    "a run logs artifacts of its own entity and project"
                )
            lineage.record_logged(connection, run.id, version.id)

    def version_producer(self, version_id: str) -> RunRecord | None:
        with read_transaction(self.engine) as connection:
            version = versions.require_version_row(connection, version_id)
            if version.producer_run_id is None:
                return None
            return records.runs_by_pk(connection, [version.producer_run_id])[0]

    def version_consumers(self, version_id: str) -> list[RunRecord]:
        with read_transaction(self.engine) as connection:
            version = versions.require_version_row(connection, version_id)
            source = links.content_version_id(version)
            return records.runs_by_pk(connection, lineage.consumer_pks(connection, source))

    def run_outputs(self, ref: RunRef) -> list[VersionRecord]:
        with read_transaction(self.engine) as connection:
            run = runs.run_pk(connection, ref)
            ids = lineage.committed_versions_of_run(connection, logged_edges, run)
            return records.versions_by_id(connection, ids)

    def run_inputs(self, ref: RunRef) -> list[VersionRecord]:
        with read_transaction(self.engine) as connection:
            run = runs.run_pk(connection, ref)
            ids = lineage.committed_versions_of_run(connection, used_edges, run)
            return records.versions_by_id(connection, ids)

    def lineage(self, node_id: str, direction: Direction, depth: int) -> LineageGraph:
        """The graph around a link is its source's."""
        with read_transaction(self.engine) as connection:
            root = links.linked_node(connection, node_id)
            return lineage.lineage_graph(connection, root, direction, depth)

    # --- registries and links -------------------------------------------------------------
    def create_registry(
        self,
        name: str,
        visibility: str,
        description: str | None = None,
        artifact_types: Sequence[str] | None = None,
        allow_all_artifact_types: bool = False,
    ) -> RegistryRecord:
        """Its creator (a user of a server) becomes its admin."""
        with self._writing() as connection:
            created = registries.create_registry(
                connection, name, visibility, description, artifact_types, allow_all_artifact_types
            )
            if self.access is not None:
                registry_roles.make_admin(connection, created.name, self.access.user)
            return created

    def list_registries(
        self, filter: Mapping[str, Any] | None = None, offset: int = 0, limit: int | None = None
    ) -> list[RegistryRecord]:
        access = self.access
        readable = None if access is None else (lambda name: access.registry_role(name) is not None)
        with read_transaction(self.engine) as connection:
            return registries.list_registries(connection, readable, filter, offset, limit)

    def get_registry(self, name: str) -> RegistryRecord:
        with read_transaction(self.engine) as connection:
            return registries.registry_record(connection, name)

    def list_registry_versions(
        self, name: str, filter: Mapping[str, Any] | None = None, offset: int = 0, limit: int | None = None
    ) -> list[VersionRecord]:
        with read_transaction(self.engine) as connection:
            project = registries.registry_record(connection, name).project
            return versions.list_registry_versions(connection, project, filter, offset, limit)

    def update_registry(self, name: str, update: RegistryUpdate) -> RegistryRecord:
        with self._writing() as connection:
            return registries.update_registry(connection, name, update)

    def delete_registry(self, name: str) -> None:
        with self._writing() as connection:
            registries.delete_registry(connection, name)

    def link_version(
        self,
        version_id: str,
        registry: str,
        collection: str,
        aliases: Sequence[str] = (),
        origin: LinkOrigin | None = None,
        override_reason: str | None = None,
    ) -> VersionRecord:
        outbox = self.outbox()
        with self._writing() as connection:
            row = versions.require_version_row(connection, version_id)
            existing = links.existing_collection(connection, registry, collection)
            if existing is not None:
                collections.lock_collection_by_id(connection, existing)
            before = alias_guard.holders(connection, existing)
            previous, linked = links.link_version(connection, row, registry, collection, aliases)
            target = versions.require_version_row(connection, linked.id).collection_id
            alias_guard.check_moves(connection, self._actor(), target, before, override_reason)
            outbox.emit(connection, version_events(previous, linked, outbox.author, linked=True))
            if origin is not None:
                if linked.project != legacy_links.MODEL_REGISTRY_PROJECT:
                    raise InvalidInputError(
                        f"a link origin is for a bare target, which links into the 'model' registry; "
                        f"not into {linked.project!r}"
                    )
                target = collections.require_collection(
                    connection, linked.entity, linked.project, linked.collection
                )
                legacy_links.remember_origin(connection, target.id, validate_link_origin(origin))
        self.delivered_soon(outbox)
        return linked

    def protect_alias(self, registry: str, alias: str, rule: str | None = None) -> RegistryRecord:
        with self._writing() as connection:
            row = registries.require_registry(connection, registry, lock=True)
            protected_aliases.protect_alias(connection, row, alias, rule)
            return registries.registry_record(connection, row.name)

    def unprotect_alias(self, registry: str, alias: str) -> RegistryRecord:
        with self._writing() as connection:
            row = registries.require_registry(connection, registry, lock=True)
            protected_aliases.unprotect_alias(connection, row, alias)
            return registries.registry_record(connection, row.name)

    def list_promotion_overrides(self, version_id: str) -> list[PromotionOverride]:
        with read_transaction(self.engine) as connection:
            row = versions.require_version_row(connection, version_id)
            return promotion_overrides.overrides_of(connection, row.id)

    def list_registry_members(self, name: str) -> list[RegistryMember]:
        with read_transaction(self.engine) as connection:
            return registry_roles.list_members(connection, name)

    def registry_role(self, name: str) -> str:
        with read_transaction(self.engine) as connection:
            row = registries.require_registry(connection, name)
        if self.access is None:  # the embedded store's user
            return "admin"
        role = self.access.registry_role(row.name)
        if role is None:  # the declared check refused it already; here for a direct caller
            raise PermissionDeniedError(f"user {self.access.user!r} has no role in registry {row.name!r}")
        return role

    def add_registry_members(
        self, name: str, members: Sequence[str], role: str = DEFAULT_MEMBER_ROLE
    ) -> list[RegistryMember]:
        with self._writing() as connection:
            return registry_roles.add_members(connection, name, members, role)

    def update_registry_member(self, name: str, member: str, role: str) -> RegistryMember:
        with self._writing() as connection:
            return registry_roles.update_member(connection, name, member, role)

    def remove_registry_members(self, name: str, members: Sequence[str]) -> list[RegistryMember]:
        with self._writing() as connection:
            return registry_roles.remove_members(connection, name, members)

    def check_download(self, version_id: str) -> None:
        """The right is checked where the call is declared; here the version must exist."""
        with read_transaction(self.engine) as connection:
            versions.require_version_row(connection, version_id)

    def list_links(self, version_id: str) -> list[VersionRecord]:
        with read_transaction(self.engine) as connection:
            row = versions.require_version_row(connection, version_id)
            return links.links_of(connection, links.content_version_id(row))

    # --- the collector and storage accounting ---------------------------------------------
    def collect_garbage(
        self, grace_seconds: float = DEFAULT_GRACE_SECONDS, dry_run: bool = False
    ) -> GcReport:
        """One run of the collector (``service.gc``); each step runs its own transactions."""
        return gc.run_collection(
            self.engine, self.store, grace_seconds, dry_run=dry_run, sweep=self.sweep_step
        )

    def explain_blob(self, digest: str) -> BlobHolders:
        with read_transaction(self.engine) as connection:
            return blob_holders.explain_blob(connection, self.store, digest)

    def storage_usage(
        self, entity: str, project: str | None = None, collection: str | None = None
    ) -> StorageUsage:
        with read_transaction(self.engine) as connection:
            return storage_usage.storage_usage(
                connection, self.store, self.access, entity, project, collection
            )

    def close(self) -> None:
        self.engine.dispose()
