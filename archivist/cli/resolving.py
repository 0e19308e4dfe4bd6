"""Turning the paths the commands take into the Backend's records, with the SDK's
defaults (ARCHIVIST_ENTITY or the backend's, ARCHIVIST_PROJECT or ``uncategorized``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from archivist.core.models import VersionRecord
from archivist.core.paths import ArtifactPath, parse_artifact_path

if TYPE_CHECKING:
    from archivist.core.backend import Backend


@dataclass(frozen=True)
class Collection:
    backend: Backend
    entity: str
    project: str
    name: str

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}"


def _with_defaults(parsed: ArtifactPath) -> tuple[Backend, ArtifactPath]:
    from archivist.sdk.context import get_context

    context = get_context()
    return context.backend, parsed.with_defaults(context.entity, context.project)


def collection_at(path: str) -> Collection:
    """``[entity/][project/]name`` (no version: a collection is meant); a path
    with a version is a usage mistake (exit 2)."""
    parsed = parse_artifact_path(path)
    if parsed.alias is not None or parsed.version is not None:
        raise click.UsageError(
            f"{path!r} names a version; give the collection as [entity/][project/]name, without ':'"
        )
    backend, full = _with_defaults(parsed)
    assert full.entity is not None and full.project is not None
    return Collection(backend, full.entity, full.project, full.name)


def version_at(
    path: str, *, explicit: bool = False, as_of: str | None = None
) -> tuple[Backend, VersionRecord]:
    """The version ``[entity/][project/]name[:alias|vN]`` names (``latest`` by default; with
    ``explicit`` the version or alias must be given, as when changing it; with ``as_of``
    the one it named then)."""
    parsed = parse_artifact_path(path)
    if explicit and parsed.alias is None and parsed.version is None:
        raise click.UsageError(
            f"{path!r} names no version: give PATH:VERSION such as {path}:v0 or {path}:latest"
        )
    backend, full = _with_defaults(parsed)
    assert full.entity is not None and full.project is not None
    if as_of is not None:
        return backend, backend.resolve_version_as_of(
            full.entity, full.project, full.name, full.selector, as_of
        )
    return backend, backend.resolve_version(full.entity, full.project, full.name, full.selector)
