"""Reading a version by the path a user wrote, as W&B reads it.

Two kinds of W&B paths name something that lives elsewhere here: a path of W&B's old model
registry (``[entity/]model-registry/<name>``) reads the ``model`` registry, unless the
entity really has a project ``model-registry`` holding ``<name>``; and a bare name a bare
link target made in a project reads that link from the ``model`` registry (the service
decides, ``service.legacy_links``). Each says so in one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist.core.errors import ArtifactNotFoundError, NotFoundError, PermissionDeniedError
from archivist.core.models import VersionRecord
from archivist.core.paths import is_legacy_path, parse_artifact_path
from archivist.core.registries import LEGACY_PROJECT
from archivist.sdk import pending_logs, registry_links

if TYPE_CHECKING:
    from archivist.sdk.context import Context


def resolve_path(ctx: Context, text: str, entity: str, project: str) -> VersionRecord:
    """The version ``text`` names, ``entity`` and ``project`` filling what it leaves out."""
    path = parse_artifact_path(text, linked_names=True).with_defaults(entity, project)
    assert path.entity is not None and path.project is not None
    if is_legacy_path(text):
        parts = text.partition(":")[0].split("/")
        owner = parts[0] if len(parts) == 3 else entity
        in_project = _in_model_registry_project(ctx, owner, path.name, path.selector)
        if in_project is not None:
            return in_project
    registry_links.note_legacy_path(text)
    pending_logs.wait_for(path.name, path.entity, path.project)  # logged just now
    record = ctx.backend.resolve_version(path.entity, path.project, path.name, path.selector)
    registry_links.note_legacy_read(text, path.entity, path.project, record)
    return record


def _in_model_registry_project(ctx: Context, owner: str, name: str, selector: str) -> VersionRecord | None:
    """The version a legacy path names in an ordinary project named ``model-registry`` of
    ``owner`` (a W&B notebook may log its models there), None when it holds none."""
    pending_logs.wait_for(name, owner, LEGACY_PROJECT)
    try:
        return ctx.backend.resolve_version(owner, LEGACY_PROJECT, name, selector)
    except (ArtifactNotFoundError, NotFoundError, PermissionDeniedError):  # not the entity's
        return None
