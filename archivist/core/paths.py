"""The two path grammars: artifact paths (``[entity/][project/]name[:alias|vN]``)
and logical paths inside an artifact (relative POSIX paths that can never
escape the artifact's root)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from archivist.core.errors import InvalidInputError
from archivist.core.names import (
    validate_alias,
    validate_artifact_name,
    validate_entity,
    validate_project,
)
from archivist.core.registries import (
    LEGACY_PROJECT,
    LEGACY_REGISTRY,
    ORGANIZATION,
    is_registry_project,
    registry_of_project,
    registry_project,
    validate_linked_name,
    validate_registry_collection,
)

MAX_LOGICAL_PATH_LENGTH = 4096
_VERSION = re.compile(r"^v(\d+)\Z")
_DRIVE = re.compile(r"^[A-Za-z]:")
LATEST = "latest"


@dataclass(frozen=True)
class ArtifactPath:
    """A parsed artifact path; ``None`` parts are filled from defaults later."""

    name: str
    entity: str | None = None
    project: str | None = None
    alias: str | None = None
    version: int | None = None

    @property
    def selector(self) -> str:
        """``vN`` or the alias, ``latest`` when neither was given."""
        if self.version is not None:
            return f"v{self.version}"
        return self.alias or LATEST

    def with_defaults(self, entity: str, project: str) -> ArtifactPath:
        return ArtifactPath(
            name=self.name,
            entity=self.entity or entity,
            project=self.project or project,
            alias=self.alias,
            version=self.version,
        )

    def __str__(self) -> str:
        prefix = "/".join(p for p in (self.entity, self.project) if p)
        base = f"{prefix}/{self.name}" if prefix else self.name
        return f"{base}:{self.selector}"


def parse_artifact_path(path: object, *, linked_names: bool = False) -> ArtifactPath:
    """Parse ``[entity/][project/]name[:alias|vN]``; the alias is split at the first ':'.
    ``linked_names``: a path being read may name, in a project, a collection with spaces (a
    link a bare link target made there, W&B's old registered models such as "MNIST 28x28")."""
    if not isinstance(path, str) or not path:
        raise InvalidInputError(f"invalid artifact path {path!r}: expected '[entity/][project/]name[:alias]'")
    base, sep, selector = path.partition(":")
    parts = base.split("/")
    if len(parts) > 3 or any(p == "" for p in parts):
        raise InvalidInputError(
            f"invalid artifact path {path!r}: expected '[entity/][project/]name[:alias]' with at most two '/'"
        )
    name, entity, project = _parse_names(parts, linked_names)
    alias: str | None = None
    version: int | None = None
    if sep:
        if not selector:
            raise InvalidInputError(f"invalid artifact path {path!r}: nothing after ':'")
        match = _VERSION.match(selector)
        if match:
            version = int(match.group(1))
        else:
            alias = validate_alias(selector)
    return ArtifactPath(name=name, entity=entity, project=project, alias=alias, version=version)


def _parse_names(parts: list[str], linked_names: bool) -> tuple[str, str | None, str | None]:
    """(name, entity, project) of a path's parts. A registry path's collection may hold
    spaces, and its prefix is an organization: it lives in the organization's entity. W&B's
    old model registry (``[entity/]model-registry/<name>``) is the ``model`` registry, as W&B
    redirects it (``is_legacy_path`` tells the SDK to say so)."""
    if len(parts) >= 2 and parts[-2] == LEGACY_PROJECT:
        if len(parts) == 3:
            validate_entity(parts[0])
        return validate_registry_collection(parts[-1]), ORGANIZATION, registry_project(LEGACY_REGISTRY)
    if len(parts) >= 2 and is_registry_project(parts[-2]):
        if len(parts) == 3:
            validate_entity(parts[0])
        registry_project(registry_of_project(parts[-2]) or "")  # validates the registry name
        return validate_registry_collection(parts[-1]), ORGANIZATION, parts[-2]
    spaced = linked_names and " " in parts[-1]
    name = validate_linked_name(parts[-1]) if spaced else validate_artifact_name(parts[-1])
    project = validate_project(parts[-2]) if len(parts) >= 2 else None
    entity = validate_entity(parts[-3]) if len(parts) == 3 else None
    return name, entity, project


def is_legacy_path(path: object) -> bool:
    """Whether an artifact path names W&B's old model registry (read from the ``model``
    registry)."""
    if not isinstance(path, str):
        return False
    parts = path.partition(":")[0].split("/")
    return len(parts) >= 2 and parts[-2] == LEGACY_PROJECT


def parse_project_path(path: object) -> tuple[str | None, str]:
    """Parse ``[entity/]project`` into (entity or None, project); a registry's project
    (``[org/]wandb-registry-<name>``) is the organization's."""
    if not isinstance(path, str) or not path:
        raise InvalidInputError(f"invalid project path {path!r}: expected '[entity/]project'")
    parts = path.split("/")
    if len(parts) > 2 or any(p == "" for p in parts):
        raise InvalidInputError(f"invalid project path {path!r}: expected '[entity/]project'")
    if is_registry_project(parts[-1]):  # a registry: the organization's, whatever prefix
        if len(parts) == 2:
            validate_entity(parts[0])
        return ORGANIZATION, registry_project(registry_of_project(parts[-1]) or "")
    if len(parts) == 2:
        return validate_entity(parts[0]), validate_project(parts[1])
    return None, validate_project(parts[0])


def validate_logical_path(path: object) -> str:
    """Check a path inside an artifact: relative, POSIX, no '..', '.' or empty segments.

    Windows separators are not converted here (a backslash is a legal file name
    character on POSIX); the SDK converts them on Windows before calling this.
    """
    if not isinstance(path, str):
        raise InvalidInputError(f"artifact path must be a string, got {type(path).__name__}")
    if not path:
        raise InvalidInputError("artifact path must not be empty")
    if len(path) > MAX_LOGICAL_PATH_LENGTH:
        raise InvalidInputError(
            f"artifact path {path[:60]!r}... is too long: at most {MAX_LOGICAL_PATH_LENGTH} characters"
        )
    if "\x00" in path:
        raise InvalidInputError(f"artifact path {path!r} contains a NUL character")
    if path.startswith("/") or _DRIVE.match(path):
        raise InvalidInputError(
            f"artifact path {path!r} is absolute; paths inside an artifact must be relative"
        )
    framed = f"/{path}/"  # an empty, '.' or '..' segment shows as one of these between slashes
    if "//" in framed or "/./" in framed or "/../" in framed:
        raise InvalidInputError(
            f"artifact path {path!r} has an empty, '.' or '..' segment; paths must stay inside the artifact"
        )
    return path


def walked_logical_paths(prefix: str | None, relatives: list[str]) -> list[str]:
    """``join_logical(prefix, relative)`` of each path a folder walk found, validated.

    Their segments are directory entry names -- never empty, ``.`` or ``..``, never holding
    a ``/`` or NUL -- so with a valid ``prefix`` only their length can be wrong: one pass
    over the lengths instead of the full check per path.
    """
    paths = [join_logical(prefix, relative) for relative in relatives] if prefix else relatives
    if paths and max(map(len, paths)) > MAX_LOGICAL_PATH_LENGTH:
        for path in paths:
            validate_logical_path(path)  # raises, naming the first path too long
    return paths


def join_logical(prefix: str | None, relative: str) -> str:
    """Join an optional prefix (``name=`` of add_dir) and a relative POSIX path."""
    prefix = (prefix or "").strip("/")
    return f"{prefix}/{relative}" if prefix else relative
