"""``archivist.Api``: queries over what is stored (W&B's public API), without a run.
Fetching an artifact here records no lineage edge."""

from __future__ import annotations

from typing import Any

from archivist.core.errors import ArtifactNotFoundError, InvalidInputError, NotFoundError
from archivist.core.models import (
    UNSET,
    CollectionRecord,
    CollectionUpdate,
    Direction,
    LineageGraph,
    VersionQuery,
)
from archivist.core.names import validate_tags
from archivist.core.paths import ArtifactPath, parse_artifact_path, parse_project_path
from archivist.core.settings import Settings
from archivist.sdk import registries as registry_calls
from archivist.sdk import registry_links
from archivist.sdk.artifact import Artifact
from archivist.sdk.artifact_list import Artifacts
from archivist.sdk.context import Context, get_context
from archivist.sdk.public_runs import PublicRun, get_public_run, list_public_runs
from archivist.sdk.registries import Registries, Registry

_ORDER_FIELDS = {"version", "created_at", "size", "createdAt"}


class ArtifactCollection:
    """A named sequence of versions in a project."""

    def __init__(self, ctx: Context, record: CollectionRecord) -> None:
        self._ctx = ctx
        self._record = record
        self.name = record.name
        self.description = record.description
        self.tags = list(record.tags)
        self._type = record.type

    id = property(lambda self: self._record.id)
    entity = property(lambda self: self._record.entity)
    project = property(lambda self: self._record.project)
    aliases = property(lambda self: list(self._record.aliases))
    created_at = property(lambda self: self._record.created_at)
    updated_at = property(lambda self: self._record.updated_at)

    @property
    def type(self) -> str:
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        from archivist.core.names import validate_type

        self._type = validate_type(value, self.name)

    def change_type(self, new_type: str) -> None:
        self.type = new_type
        self.save()

    def is_sequence(self) -> bool:
        return True

    def artifacts(self, per_page: int = 50, order: str | None = None) -> Artifacts:
        query = VersionQuery(self.entity, self.project, self._record.name, order=_order(order))
        return Artifacts([Artifact.from_record(self._ctx, r) for r in self._ctx.backend.list_versions(query)])

    def save(self) -> None:
        update = CollectionUpdate(
            name=self.name if self.name != self._record.name else UNSET,
            type=self._type if self._type != self._record.type else UNSET,
            description=self.description,
            tags=tuple(validate_tags(self.tags)),
        )
        self._record = self._ctx.backend.update_collection(
            self.entity, self.project, self._record.name, update
        )

    def delete(self) -> None:
        self._ctx.backend.delete_collection(self.entity, self.project, self._record.name)

    def __repr__(self) -> str:
        return f"<ArtifactCollection {self.entity}/{self.project}/{self.name} type={self.type}>"


class ArtifactType:
    def __init__(self, ctx: Context, entity: str, project: str, name: str) -> None:
        self._ctx = ctx
        self.entity = entity
        self.project = project
        self.name = name

    @property
    def id(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}"

    def collections(self, per_page: int = 50) -> list[ArtifactCollection]:
        records = self._ctx.backend.list_collections(self.entity, self.project, self.name)
        return [ArtifactCollection(self._ctx, r) for r in records]

    def collection(self, name: str) -> ArtifactCollection:
        record = self._ctx.backend.get_collection(self.entity, self.project, name)
        if record.type != self.name:
            raise NotFoundError(f"collection {name!r} has type {record.type!r}, not {self.name!r}")
        return ArtifactCollection(self._ctx, record)

    def __repr__(self) -> str:
        return f"<ArtifactType {self.name}>"


class Api:
    """Queries over artifacts, collections, types, runs and lineage."""

    def __init__(
        self,
        overrides: dict[str, Any] | None = None,
        timeout: float | None = None,
        api_key: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        overrides = dict(overrides or {})
        base = settings or Settings.from_env()
        changes = {k: overrides[k] for k in ("entity", "project", "base_url") if overrides.get(k)}
        if api_key:
            changes["api_key"] = api_key
        self._ctx = get_context(base.evolve(**changes) if changes else base)

    @property
    def default_entity(self) -> str:
        return self._ctx.entity

    def _path(self, name: str) -> ArtifactPath:
        return parse_artifact_path(name).with_defaults(self._ctx.entity, self._ctx.project)

    def _project(self, project: str | None) -> tuple[str, str]:
        if project is None:
            return self._ctx.entity, self._ctx.project
        entity, name = parse_project_path(project)
        return entity or self._ctx.entity, name

    # --- artifacts ---------------------------------------------------------------------
    def artifact(self, name: str, type: str | None = None) -> Artifact:
        path = self._path(name)
        registry_links.note_legacy_path(name)
        record = self._ctx.backend.resolve_version(
            path.entity or "", path.project or "", path.name, path.selector
        )
        if type is not None and record.type != type:
            raise InvalidInputError(f"artifact {name!r} has type {record.type!r}, not the requested {type!r}")
        return Artifact.from_record(self._ctx, record)

    def artifact_exists(self, name: str, type: str | None = None) -> bool:
        try:
            self.artifact(name, type)
        except (ArtifactNotFoundError, NotFoundError, InvalidInputError):
            return False
        return True

    def artifacts(
        self,
        type_name: str,
        name: str,
        per_page: int = 50,
        tags: list[str] | None = None,
        order: str | None = None,
    ) -> Artifacts:
        path = self._path(name)
        entity, project = path.entity or "", path.project or ""
        collection = self._ctx.backend.get_collection(entity, project, path.name)
        if collection.type != type_name:
            raise InvalidInputError(
                f"collection {path.name!r} has type {collection.type!r}, not {type_name!r}"
            )
        query = VersionQuery(entity, project, path.name, tuple(validate_tags(tags)), _order(order))
        records = self._ctx.backend.list_versions(query)
        return Artifacts([Artifact.from_record(self._ctx, r) for r in records])

    artifact_versions = artifacts

    def artifact_types(self, project: str | None = None) -> list[ArtifactType]:
        entity, name = self._project(project)
        return [ArtifactType(self._ctx, entity, name, t) for t in self._ctx.backend.list_types(entity, name)]

    def artifact_type(self, type_name: str, project: str | None = None) -> ArtifactType:
        entity, name = self._project(project)
        if type_name not in self._ctx.backend.list_types(entity, name):
            raise NotFoundError(f"project {entity}/{name} has no artifacts of type {type_name!r}")
        return ArtifactType(self._ctx, entity, name, type_name)

    def artifact_collections(
        self, project_name: str, type_name: str, per_page: int = 50
    ) -> list[ArtifactCollection]:
        return self.artifact_type(type_name, project_name).collections()

    def artifact_collection(self, type_name: str, name: str) -> ArtifactCollection:
        path = self._path(name)
        record = self._ctx.backend.get_collection(path.entity or "", path.project or "", path.name)
        if record.type != type_name:
            raise NotFoundError(f"collection {name!r} has type {record.type!r}, not {type_name!r}")
        return ArtifactCollection(self._ctx, record)

    def artifact_collection_exists(self, name: str, type: str) -> bool:
        try:
            self.artifact_collection(type, name)
        except NotFoundError:
            return False
        return True

    def projects(self, entity: str | None = None) -> list[str]:
        return self._ctx.backend.list_projects(entity or self._ctx.entity)

    # --- registries -------------------------------------------------------------------
    def create_registry(
        self,
        name: str,
        visibility: str,
        organization: str | None = None,
        description: str | None = None,
        artifact_types: list[str] | None = None,
    ) -> Registry:
        """A new registry (``artifact_types`` None: it accepts every type); ``organization``
        is accepted for W&B's signature: the store is the organization."""
        return registry_calls.create_registry(self._ctx, name, visibility, description, artifact_types)

    def registries(self, organization: str | None = None, filter: dict[str, Any] | None = None) -> Registries:
        return registry_calls.list_registries(self._ctx, filter)

    def registry(self, name: str, organization: str | None = None) -> Registry:
        return registry_calls.get_registry(self._ctx, name)

    # --- runs ---------------------------------------------------------------------
    def run(self, path: str) -> PublicRun:
        return get_public_run(self._ctx, path)

    def runs(self, path: str | None = None) -> list[PublicRun]:
        return list_public_runs(self._ctx, path or self._ctx.project)

    # --- lineage ---------------------------------------------------------------------
    def lineage(
        self, node: str | Artifact | PublicRun, depth: int = 3, direction: str = "both"
    ) -> LineageGraph:
        """The lineage graph around an artifact version (path or object) or a run."""
        try:
            walk = Direction(direction)
        except ValueError:
            raise InvalidInputError(
                f"invalid direction {direction!r}: use 'upstream', 'downstream' or 'both'"
            ) from None
        if not isinstance(depth, int) or depth < 0:
            raise InvalidInputError(f"invalid depth {depth!r}: use a whole number >= 0")
        if isinstance(node, str):
            node_id = self.artifact(node).id or ""
        elif isinstance(node, Artifact):
            node_id = node.id or ""
        else:  # a live Run (path 'e/p/id') or a PublicRun (path ['e', 'p', 'id'])
            path = node.path
            node_id = path if isinstance(path, str) else "/".join(path)
        return self._ctx.backend.lineage(node_id, walk, depth)


def _order(order: str | None) -> str:
    if not order:
        return "-version"
    sign = order[0] if order[0] in "+-" else "+"
    field = order.lstrip("+-")
    if field not in _ORDER_FIELDS:
        raise InvalidInputError(
            f"invalid order {order!r}: use '+' or '-' followed by version, created_at or size"
        )
    return sign + ("created_at" if field == "createdAt" else field)
