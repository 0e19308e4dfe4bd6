"""Projects as the query API shows them: ``Api().project(name)`` and ``Api().projects()``
(W&B's ``wandb.apis.public.Project``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from archivist.core.models import ProjectRecord
from archivist.sdk.artifact import Artifact
from archivist.sdk.artifact_collections import ArtifactCollection, ArtifactType
from archivist.sdk.run_listing import DEFAULT_ORDER, Runs
from archivist.wire.ui_paths import absolute, project_url

if TYPE_CHECKING:
    from archivist.sdk.context import Context


class Project:
    """One project: its name, entity and creation time, its page in the UI, and its runs,
    artifact types, collections and artifact versions."""

    def __init__(self, ctx: Context, record: ProjectRecord) -> None:
        self._ctx = ctx
        self._record = record

    name = property(lambda self: self._record.name)
    entity = property(lambda self: self._record.entity)
    created_at = property(lambda self: self._record.created_at)
    run_count = property(lambda self: self._record.run_count)
    collection_count = property(lambda self: self._record.collection_count)

    @property
    def id(self) -> str:
        return f"{self.entity}/{self.name}"

    @property
    def path(self) -> list[str]:
        """``[entity, name]``, as in W&B."""
        return [self.entity, self.name]

    @property
    def url(self) -> str:
        return absolute(self._ctx.settings.base_url, project_url(self.entity, self.name))

    def runs(
        self, filters: Mapping[str, Any] | None = None, order: str = DEFAULT_ORDER, per_page: int = 50
    ) -> Runs:
        return Runs(self._ctx, self.entity, self.name, filters, order, per_page)

    def artifacts_types(self, per_page: int = 50) -> list[ArtifactType]:
        """The artifact types the project holds (W&B's spelling; ``artifact_types`` too)."""
        names = self._ctx.backend.list_types(self.entity, self.name)
        return [ArtifactType(self._ctx, self.entity, self.name, name) for name in names]

    artifact_types = artifacts_types

    def delete(self) -> None:
        """Soft-delete the project's collections and hide it (``Api.delete_project``)."""
        self._ctx.backend.delete_project(self.entity, self.name)

    def collections(self, type_name: str | None = None, per_page: int = 50) -> list[ArtifactCollection]:
        records = self._ctx.backend.list_collections(self.entity, self.name, type_name)
        return [ArtifactCollection(self._ctx, record) for record in records]

    def artifacts(self, type_name: str | None = None, per_page: int = 50) -> Iterator[Artifact]:
        """Every committed version of the project's collections (of one type when given),
        newest first within each collection; read one collection at a time."""
        for collection in self.collections(type_name):
            yield from collection.artifacts(per_page=per_page)

    def sweeps(self) -> list[Any]:
        """W&B's sweeps: Archivist has none."""
        return []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Project {self.entity}/{self.name}>"
