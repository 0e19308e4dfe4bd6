"""``Registry``: W&B's registry object, and the Api calls that create, list and fetch
registries (``core.registries``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archivist.core.errors import InvalidInputError
from archivist.core.models import CollectionRecord, VersionQuery, VersionRecord
from archivist.core.registries import (
    ORGANIZATION,
    REGISTRY_PREFIX,
    RegistryRecord,
    RegistryUpdate,
    validate_registry_name,
)
from archivist.core.registry_filters import matches
from archivist.sdk.artifact import Artifact
from archivist.sdk.artifact_collections import ArtifactCollection, Artifacts

if TYPE_CHECKING:
    from archivist.sdk.context import Context


class AcceptedTypes(list[str]):
    """A registry's accepted types: append before or after ``save()``; a type already saved
    cannot be removed (SPEC §7)."""

    def __init__(self, saved: tuple[str, ...]) -> None:
        super().__init__(saved)
        self._saved = set(saved)

    def _refuse(self, value: object) -> None:
        if value in self._saved:
            raise InvalidInputError(
                f"artifact type {value!r} is saved as accepted by the registry; accepted types can be "
                "added, never removed"
            )

    def remove(self, value: str) -> None:
        self._refuse(value)
        super().remove(value)

    def pop(self, index: Any = -1) -> str:
        self._refuse(self[index])
        return super().pop(index)

    def clear(self) -> None:
        for value in self:
            self._refuse(value)
        super().clear()


class Registry:
    """One registry: its settings, collections and linked versions."""

    def __init__(self, ctx: Context, record: RegistryRecord) -> None:
        self._ctx = ctx
        self._load(record)

    def _load(self, record: RegistryRecord) -> None:
        self._record = record
        self.description = record.description
        self.visibility = record.visibility.value
        self.allow_all_artifact_types = record.allow_all_artifact_types
        self.artifact_types = AcceptedTypes(record.artifact_types)

    name = property(lambda self: self._record.name)
    full_name = property(lambda self: self._record.project)
    organization = property(lambda self: ORGANIZATION)
    entity = property(lambda self: self._record.entity)
    created_at = property(lambda self: self._record.created_at)
    updated_at = property(lambda self: self._record.updated_at)

    def load(self) -> Registry:
        self._load(self._ctx.backend.get_registry(self.name))
        return self

    def save(self) -> None:
        """Save the description, visibility and accepted types (added ones only)."""
        update = RegistryUpdate(
            description=self.description,
            visibility=self.visibility,
            artifact_types=list(self.artifact_types),
            allow_all_artifact_types=self.allow_all_artifact_types,
        )
        self._load(self._ctx.backend.update_registry(self.name, update))

    def delete(self) -> None:
        self._ctx.backend.delete_registry(self.name)

    def collections(self, filter: dict[str, Any] | None = None) -> Collections:
        """The registry's collections, by name; ``filter`` on name, type, description, tag."""
        from archivist.sdk import upward_calls

        records = self._ctx.backend.list_collections(ORGANIZATION, self.full_name)
        return Collections(
            self._ctx,
            [
                upward_calls.collection(self._ctx, record)
                for record in records
                if _collection_matches(filter, record)
            ],
        )

    def versions(self, filter: dict[str, Any] | None = None) -> Artifacts:
        """The linked versions of every collection, newest first per collection; ``filter``
        on alias, tag, version, collection."""
        return self.collections().versions(filter)

    def __repr__(self) -> str:
        return f"<Registry {self.name} visibility={self.visibility}>"


class Collections(list[ArtifactCollection]):
    """Registry collections (a list) whose linked versions ``versions(filter)`` lists."""

    def __init__(self, ctx: Context, items: list[ArtifactCollection]) -> None:
        super().__init__(items)
        self._ctx = ctx

    def versions(self, filter: dict[str, Any] | None = None) -> Artifacts:
        found: list[Artifact] = []
        for collection in self:
            query = VersionQuery(collection.entity, collection.project, collection.name)
            for record in self._ctx.backend.list_versions(query):
                if _version_matches(filter, record):
                    found.append(Artifact.from_record(self._ctx, record))
        return Artifacts(found)


class Registries(list[Registry]):
    """Registries (a list); ``collections(filter)`` and ``versions(filter)`` look inside all
    of them, as W&B's ``api.registries().collections().versions()`` does."""

    def __init__(self, ctx: Context, items: list[Registry]) -> None:
        super().__init__(items)
        self._ctx = ctx

    def collections(self, filter: dict[str, Any] | None = None) -> Collections:
        return Collections(self._ctx, [c for registry in self for c in registry.collections(filter)])

    def versions(self, filter: dict[str, Any] | None = None) -> Artifacts:
        return self.collections().versions(filter)


def _collection_matches(wanted: dict[str, Any] | None, record: CollectionRecord) -> bool:
    """``tag`` matches when any tag of the collection does."""
    fields = {"name": record.name, "type": record.type, "description": record.description}
    return any(matches(wanted, {**fields, "tag": tag}) for tag in (record.tags or (None,)))


def _version_matches(wanted: dict[str, Any] | None, record: VersionRecord) -> bool:
    """``alias`` (``tag``) matches when any alias (tag) of the version does."""
    fields = {"version": record.version, "collection": record.collection}
    return any(
        matches(wanted, {**fields, "alias": alias, "tag": tag})
        for alias in (record.aliases or (None,))
        for tag in (record.tags or (None,))
    )


def registry_name(name: object) -> str:
    """A registry name, given bare or as its project ``wandb-registry-<name>``."""
    if isinstance(name, str) and name.startswith(REGISTRY_PREFIX):
        name = name[len(REGISTRY_PREFIX) :]
    return validate_registry_name(name)


def create_registry(
    ctx: Context,
    name: str,
    visibility: str,
    description: str | None = None,
    artifact_types: list[str] | None = None,
) -> Registry:
    types = list(artifact_types or ())
    record = ctx.backend.create_registry(
        registry_name(name), visibility, description, types, allow_all_artifact_types=not types
    )
    return Registry(ctx, record)


def list_registries(ctx: Context, filter: dict[str, Any] | None = None) -> Registries:
    return Registries(
        ctx,
        [
            Registry(ctx, record)
            for record in ctx.backend.list_registries()
            if matches(filter, {"name": record.name, "description": record.description})
        ],
    )


def get_registry(ctx: Context, name: str) -> Registry:
    return Registry(ctx, ctx.backend.get_registry(registry_name(name)))
