"""The Backend's version calls, as the Service makes them: committing, resolving, updating,
deleting and restoring versions, and the lineage edges and graph."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from archivist.core.artifact_events import ArtifactEvent
from archivist.core.automation_events import unlink_event, version_events
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError
from archivist.core.models import (
    CommitRequest,
    CommitResult,
    Direction,
    LineageGraph,
    RunRecord,
    RunRef,
    VersionQuery,
    VersionRecord,
    VersionUpdate,
)
from archivist.metadata.engine import read_transaction
from archivist.metadata.schema import logged_edges, used_edges
from archivist.service import (
    alias_guard,
    collections,
    commits,
    history,
    legacy_links,
    lineage,
    links,
    lookup_hints,
    records,
    registries,
    restoring,
    runs,
    ttl,
    versions,
)
from archivist.service.call_base import CallBase
from archivist.service.noted_manifests import NotedManifests


class VersionCalls(CallBase):
    _noted_manifests: NotedManifests

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
