"""``archivist.Api``: queries over what is stored (W&B's public API), without a run.
Fetching an artifact here records no lineage edge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from archivist.core.collector import StorageUsage
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError, NotFoundError
from archivist.core.models import (
    Direction,
    LineageGraph,
    VersionQuery,
)
from archivist.core.names import validate_entity, validate_tags
from archivist.core.paths import ArtifactPath, parse_artifact_path, parse_project_path
from archivist.core.settings import Settings
from archivist.sdk import artifact_history, path_reads
from archivist.sdk import registries as registry_calls
from archivist.sdk.artifact import Artifact
from archivist.sdk.artifact_collections import ArtifactCollection, Artifacts, ArtifactType, version_order
from archivist.sdk.context import get_context
from archivist.sdk.lifecycle import LifecycleCalls
from archivist.sdk.projects import Project
from archivist.sdk.public_runs import PublicRun, get_public_run
from archivist.sdk.registries import Registries, Registry
from archivist.sdk.run_listing import DEFAULT_ORDER, Runs


class Api(LifecycleCalls):
    """Queries over artifacts, collections, types, runs and lineage; restoring and expiring
    (``sdk.lifecycle``)."""

    def __init__(
        self,
        overrides: dict[str, Any] | None = None,
        timeout: float | None = None,
        api_key: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        overrides = dict(overrides or {})
        base = settings or Settings.from_env()
        changes: dict[str, Any] = {
            k: overrides[k] for k in ("entity", "project", "base_url") if overrides.get(k)
        }
        if base.mode == "disabled":  # the mode is the runs'; queries read the store, as in W&B
            changes["mode"] = None
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
    def artifact(
        self, name: str, type: str | None = None, *, as_of: dt.datetime | str | None = None
    ) -> Artifact:
        """The version ``name`` names; with ``as_of`` (a datetime, naive meaning UTC, or an
        ISO-8601 string) the version its alias (or ``latest``, or ``vN``) named at that time,
        from the audit trail."""
        if as_of is not None:
            record = artifact_history.resolve_as_of(
                self._ctx, name, self._ctx.entity, self._ctx.project, as_of
            )
        else:
            record = path_reads.resolve_path(self._ctx, name, self._ctx.entity, self._ctx.project)
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
        query = VersionQuery(entity, project, path.name, tuple(validate_tags(tags)), version_order(order))
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

    def projects(self, entity: str | None = None, per_page: int = 200) -> list[Project]:
        """The entity's projects (the default entity's without one), by name."""
        records = self._ctx.backend.list_project_records(validate_entity(entity or self._ctx.entity))
        return [Project(self._ctx, record) for record in records]

    def project(self, name: str, entity: str | None = None) -> Project:
        """One project, by ``name`` or ``entity/name``; ``NotFoundError`` naming the entity's
        projects when it has none of that name."""
        path_entity, project = parse_project_path(name)
        owner = validate_entity(entity or path_entity or self._ctx.entity)
        return Project(self._ctx, self._ctx.backend.get_project(owner, project))

    def storage_usage(self, path: str | None = None) -> StorageUsage:
        """Bytes stored for ``entity``, ``entity/project`` or ``entity/project/collection``
        (the default entity without a path): ``total_bytes``, ``exclusive_bytes`` (only this
        scope holds them: what deleting it and collecting would free) and ``shared_bytes``
        (held elsewhere too). Soft-deleted versions count until the collector purges them."""
        parts = (path or self._ctx.entity).strip("/").split("/")
        if len(parts) > 3 or not all(parts):
            raise InvalidInputError(
                f"invalid storage path {path!r}: use entity, entity/project or entity/project/collection"
            )
        entity = validate_entity(parts[0])
        return self._ctx.backend.storage_usage(entity, *parts[1:])

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

    def registries(
        self, organization: str | None = None, filter: dict[str, Any] | None = None, per_page: int = 100
    ) -> Registries:
        return registry_calls.list_registries(self._ctx, filter, per_page)

    def registry(self, name: str, organization: str | None = None) -> Registry:
        return registry_calls.get_registry(self._ctx, name)

    # --- runs ---------------------------------------------------------------------
    def run(self, path: str) -> PublicRun:
        return get_public_run(self._ctx, path)

    def runs(
        self,
        path: str | None = None,
        filters: Mapping[str, Any] | None = None,
        order: str = DEFAULT_ORDER,
        per_page: int = 50,
        include_sweeps: bool = True,
        lazy: bool = True,
    ) -> Runs:
        """The runs of ``[entity/]project`` matching W&B's MongoDB-style ``filters`` on
        ``config.<key>``, ``summary_metrics.<key>``, ``state``, ``tags``, ``jobType``,
        ``group``, ``displayName``, ``createdAt``... (``archivist.core.run_filters``),
        ordered by ``order`` ('+'/'-' and a field), read ``per_page`` at a time.
        ``include_sweeps`` and ``lazy`` are W&B's and change nothing here."""
        entity, project = parse_project_path(path or self._ctx.project)
        return Runs(self._ctx, entity or self._ctx.entity, project, filters, order, per_page)

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
