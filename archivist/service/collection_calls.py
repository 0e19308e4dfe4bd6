"""The Backend's project, collection and type calls, as the Service makes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archivist.core.models import CollectionRecord, CollectionUpdate, ProjectRecord
from archivist.metadata.engine import read_transaction
from archivist.service import alias_guard, collections, namespaces, registries
from archivist.service.call_base import CallBase


class CollectionCalls(CallBase):
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
