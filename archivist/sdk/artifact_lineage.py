"""Where a logged version lives and what it is linked to: its collection, the source a
registry link points at, the links made of it, the runs that logged and used it, and
``link()``/``unlink()``. Mixed into ``Artifact``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist.core.models import VersionRecord, VersionState
from archivist.sdk import registry_links, upward_calls
from archivist.sdk.context import Context

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact
    from archivist.sdk.artifact_collections import ArtifactCollection
    from archivist.sdk.public_runs import PublicRun


class LineageMixin:
    _record: VersionRecord | None

    if TYPE_CHECKING:

        def _context(self) -> Context: ...

        def _logged(self) -> VersionRecord: ...

    @property
    def source_entity(self) -> str:
        return registry_links.source_parts(self._logged())[0]

    @property
    def source_project(self) -> str:
        return registry_links.source_parts(self._logged())[1]

    @property
    def source_version(self) -> str:
        return f"v{registry_links.source_parts(self._logged())[3]}"

    @property
    def source_qualified_name(self) -> str:
        entity, project, collection, index = registry_links.source_parts(self._logged())
        return f"{entity}/{project}/{collection}:v{index}"

    @property
    def source_name(self) -> str:
        return registry_links.source_name(self._logged())

    @property
    def collection(self) -> ArtifactCollection:
        """The collection holding this version (for a link, the registry collection)."""
        record = self._logged()
        ctx = self._context()
        return upward_calls.collection(
            ctx, ctx.backend.get_collection(record.entity, record.project, record.collection)
        )

    @property
    def source_collection(self) -> ArtifactCollection:
        entity, project, collection, _ = registry_links.source_parts(self._logged())
        ctx = self._context()
        return upward_calls.collection(ctx, ctx.backend.get_collection(entity, project, collection))

    @property
    def is_link(self) -> bool:
        return self._record is not None and self._record.source is not None

    def logged_by(self) -> PublicRun | None:
        ctx = self._context()
        record = ctx.backend.version_producer(self._logged().id)
        return None if record is None else upward_calls.public_run(ctx, record)

    def used_by(self) -> list[PublicRun]:
        ctx = self._context()
        return [upward_calls.public_run(ctx, r) for r in ctx.backend.version_consumers(self._logged().id)]

    def link(
        self, target_path: str, aliases: list[str] | None = None, *, override_reason: str | None = None
    ) -> Artifact:
        """Link this version into a registry collection
        (``[org/]wandb-registry-<registry>/<collection>``; an old model-registry target lands
        in the ``model`` registry); in the active run a draft is logged first. Returns the
        link. ``override_reason``: a registry admin's reason to give a protected alias to a
        version failing its promotion rule (recorded)."""
        return upward_calls.link(self, target_path, aliases, override_reason)

    def unlink(self) -> None:
        """Remove this link from its registry collection (the source version stays)."""
        record = self._logged()
        registry_links.require_link(record, "unlink")
        self._context().backend.delete_version(record.id, delete_aliases=True)
        self._record = with_state(record, VersionState.DELETED)


def with_state(record: VersionRecord, state: VersionState) -> VersionRecord:
    import dataclasses

    return dataclasses.replace(record, state=state)
