"""The Backend's lifecycle calls, as the Service makes them: a team's default TTL, the
sweep, deleting projects, the collector and storage accounting."""

from __future__ import annotations

from archivist.core.collector import DEFAULT_GRACE_SECONDS, BlobHolders, GcReport, StorageUsage
from archivist.core.lifecycle import SweepReport, parse_as_of
from archivist.core.names import validate_entity
from archivist.metadata.engine import read_transaction
from archivist.service import alias_guard, blob_holders, expiry_sweep, gc, restoring, storage_usage, ttl
from archivist.service.call_base import CallBase


class LifecycleCalls(CallBase):
    sweep_step: gc.SweepStep | None

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
