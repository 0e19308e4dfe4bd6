"""The Backend's registry calls, as the Service makes them: registries, links into them,
protected aliases, promotion overrides and members."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archivist.core.automation_events import version_events
from archivist.core.errors import InvalidInputError, PermissionDeniedError
from archivist.core.models import VersionRecord
from archivist.core.registries import (
    DEFAULT_MEMBER_ROLE,
    LinkOrigin,
    PromotionOverride,
    RegistryMember,
    RegistryRecord,
    RegistryUpdate,
    validate_link_origin,
)
from archivist.metadata.engine import read_transaction
from archivist.service import (
    alias_guard,
    collections,
    legacy_links,
    links,
    promotion_overrides,
    protected_aliases,
    registries,
    registry_roles,
    versions,
)
from archivist.service.call_base import CallBase


class RegistryCalls(CallBase):
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
