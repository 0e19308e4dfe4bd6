"""Registries: organization-level projects whose collections hold links to versions
logged in other projects (SPEC §7).

A registry named ``<name>`` is the project ``wandb-registry-<name>`` of the
organization's entity (``ORGANIZATION``); the store, or the server, is the organization.
Its collections hold one artifact type each; a link is a version of such a collection
that names its source version (it copies no data) and gets its own number and aliases.

This module holds the names and records: the registry path and link-target grammar,
name rules (registry and collection names may hold spaces), visibility, and the records
that cross the Backend protocol.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.core.ids import Name, ProjectName
from archivist.core.models import settable
from archivist.core.names import (
    MAX_NAME_LENGTH,
    validate_alias,
    validate_artifact_name,
    validate_entity,
    validate_project,
    validate_type,
)

REGISTRY_PREFIX = "wandb-registry-"
ORGANIZATION = "organization"
"""The entity that holds every registry project; no user or team may take this name.
A registry path may name any organization before the registry (W&B's ``org/``): the
store is one organization, so the prefix is accepted and not stored."""
LEGACY_PROJECT = "model-registry"
"""W&B's old model registry: ``[entity/]model-registry/<name>`` links land in ``model``."""
LEGACY_REGISTRY = "model"
CORE_REGISTRIES: dict[str, tuple[str, ...]] = {"model": ("model",), "dataset": ("dataset",)}
"""The registries every store has from the start, with the type each accepts."""

_SPACED_NAME = re.compile(r"[A-Za-z0-9_\-.]+( [A-Za-z0-9_\-.]+)*")
"""W&B's artifact-name characters, and single spaces between words ("Example ML Task")."""


class Visibility(str, enum.Enum):
    ORGANIZATION = "organization"
    """Every user of the organization may read it."""
    RESTRICTED = "restricted"
    """Only its members (and the organization's) may read it."""


RESTRICTED_VIEWER = "restricted_viewer"
REGISTRY_ROLES = (RESTRICTED_VIEWER, "viewer", "member", "admin")
"""A registry's roles, lowest first: a restricted viewer reads metadata only (no files, no
``use_artifact``), a viewer also downloads, a member writes (links, aliases, tags,
collections), an admin manages settings, protected aliases and members (SPEC §7)."""
DEFAULT_MEMBER_ROLE = RESTRICTED_VIEWER
"""The role of a user or team added to a registry without one (W&B server 0.75 and later),
and every user's role in a registry visible to the whole organization."""


def validate_registry_role(role: object) -> str:
    if role not in REGISTRY_ROLES:
        raise InvalidInputError(f"invalid registry role {role!r}: use one of {', '.join(REGISTRY_ROLES)}")
    return str(role)


def highest_role(*roles: str | None) -> str | None:
    """The highest of ``roles`` (None ignored; None when all are)."""
    held = [role for role in roles if role is not None]
    return max(held, key=REGISTRY_ROLES.index) if held else None


def role_at_least(role: str | None, wanted: str) -> bool:
    return role is not None and REGISTRY_ROLES.index(role) >= REGISTRY_ROLES.index(wanted)


class MemberKind(str, enum.Enum):
    USER = "user"
    TEAM = "team"


@dataclass(frozen=True)
class RegistryMember:
    """A user or team with a role in a registry (its own: not the organization's)."""

    name: str
    kind: MemberKind
    role: str


def validate_visibility(value: object) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        allowed = ", ".join(repr(v.value) for v in Visibility)
        raise InvalidInputError(f"invalid registry visibility {value!r}: use one of {allowed}") from None


def _validate_spaced_name(kind: str, value: object, limit: int) -> str:
    """A name that may hold spaces (W&B's registry and registered-model names)."""
    if not isinstance(value, str):
        raise InvalidInputError(f"{kind} must be a string, got {type(value).__name__}: {value!r}")
    if not value:
        raise InvalidInputError(f"{kind} must not be empty")
    if len(value) > limit:
        raise InvalidInputError(
            f"{kind} {value[:40]!r}... is {len(value)} characters long; at most {limit} are allowed"
        )
    if not _SPACED_NAME.fullmatch(value):
        raise InvalidInputError(
            f"invalid {kind} {value!r}: only letters, digits, '-', '_', '.' and single spaces "
            "between words are allowed"
        )
    return value


def validate_registry_name(name: object) -> str:
    """A registry name: its project ``wandb-registry-<name>`` is at most 128 characters."""
    return _validate_spaced_name("registry name", name, MAX_NAME_LENGTH - len(REGISTRY_PREFIX))


def validate_registry_collection(name: object) -> str:
    """A collection name in a registry (spaces allowed, as in W&B's registered models)."""
    return _validate_spaced_name("registry collection name", name, MAX_NAME_LENGTH)


def validate_linked_name(name: object) -> str:
    """A collection name with spaces in a path read from a project: a link a bare target made
    there (W&B's old registered models); as a registry collection's name."""
    return _validate_spaced_name("linked collection name", name, MAX_NAME_LENGTH)


def registry_project(name: str) -> str:
    return REGISTRY_PREFIX + validate_registry_name(name)


def registry_of_project(project: object) -> str | None:
    """The registry name a project name stands for, None for an ordinary project."""
    if isinstance(project, str) and project.startswith(REGISTRY_PREFIX):
        return project[len(REGISTRY_PREFIX) :]
    return None


def is_registry_project(project: object) -> bool:
    return registry_of_project(project) is not None


def validate_collection_name(project: object, name: object) -> str:
    """A collection name as its project allows: a registry's may hold spaces."""
    return (
        validate_registry_collection(name) if is_registry_project(project) else validate_artifact_name(name)
    )


@dataclass(frozen=True)
class LinkTarget:
    registry: str
    collection: str
    legacy: bool
    """The target was W&B's old model-registry form; it lands in the ``model`` registry."""
    bare: bool = False
    """The target was a bare ``<name>`` (W&B puts it in the run's project)."""

    @property
    def project(self) -> str:
        return registry_project(self.registry)

    def __str__(self) -> str:
        return f"{self.project}/{self.collection}"


@dataclass(frozen=True)
class LinkOrigin:
    """The project a bare link target was given in (the run's, else the artifact's): W&B
    keeps such a link there, so a path in that project reads it back."""

    entity: Name
    project: ProjectName


def validate_link_origin(origin: object) -> LinkOrigin:
    if not isinstance(origin, LinkOrigin):
        raise InvalidInputError(f"a link origin names an entity and a project, got {origin!r}")
    return LinkOrigin(validate_entity(origin.entity), validate_project(origin.project))


def parse_link_target(path: object) -> LinkTarget:
    """``[org/]wandb-registry-<registry>/<collection>``, or a legacy target
    (``[entity/]model-registry/<name>`` or a bare ``<name>``) meaning the ``model`` registry."""
    if not isinstance(path, str) or not path:
        raise InvalidInputError(
            f"invalid link target {path!r}: expected '[org/]wandb-registry-<registry>/<collection>'"
        )
    if ":" in path:
        raise InvalidInputError(
            f"invalid link target {path!r}: a target names a collection, not a version; "
            "pass the aliases with aliases=[...]"
        )
    parts = path.split("/")
    if len(parts) > 3 or any(part == "" for part in parts):
        raise InvalidInputError(
            f"invalid link target {path!r}: expected '[org/]wandb-registry-<registry>/<collection>'"
        )
    if len(parts) == 3:
        validate_entity(parts[0])
    collection = validate_registry_collection(parts[-1])
    if len(parts) == 1:
        return LinkTarget(LEGACY_REGISTRY, collection, legacy=True, bare=True)
    registry = registry_of_project(parts[-2])
    if registry is not None:
        return LinkTarget(validate_registry_name(registry), collection, legacy=False)
    if parts[-2] == LEGACY_PROJECT:
        return LinkTarget(LEGACY_REGISTRY, collection, legacy=True)
    raise InvalidInputError(
        f"invalid link target {path!r}: {parts[-2]!r} is not a registry; expected "
        f"'[org/]wandb-registry-<registry>/<collection>' (or '{LEGACY_PROJECT}/<name>')"
    )


def validate_artifact_types(types: object) -> tuple[str, ...]:
    """Accepted types of a registry: a list of type names, duplicates dropped."""
    if types is None:
        return ()
    if isinstance(types, str) or not isinstance(types, (list, tuple)):
        raise InvalidInputError(f"artifact_types must be a list of type names, got {types!r}")
    return tuple(dict.fromkeys(validate_type(t) for t in types))


@dataclass(frozen=True)
class ProtectedAlias:
    """An alias of a registry that only its admins add to or remove from versions; a version
    holding it is unlinked or deleted only by an admin, and its source not at all. ``rule``:
    the promotion rule (``core.promotion_rules``) a version must pass to get it, or None."""

    alias: str
    rule: str | None = None


def validate_protected_alias(alias: object) -> str:
    """An alias a registry may protect: any custom alias (not ``latest`` nor ``vN``, which the
    store assigns)."""
    name = validate_alias(alias)  # refuses 'vN'
    if name == "latest":
        raise InvalidInputError(
            f"alias {name!r} cannot be protected: 'latest' and 'vN' are assigned by the store; "
            "protect a custom alias such as 'production' or 'staging'"
        )
    return name


@dataclass(frozen=True)
class RegistryRecord:
    name: str
    entity: str
    project: str
    description: str | None
    visibility: Visibility
    artifact_types: tuple[str, ...]
    allow_all_artifact_types: bool
    created_at: str
    updated_at: str
    protected_aliases: tuple[ProtectedAlias, ...] = ()
    """By alias name."""

    @property
    def is_core(self) -> bool:
        return self.name in CORE_REGISTRIES


@dataclass(frozen=True)
class RegistryUpdate:
    """Changes to a registry; ``artifact_types`` lists types to add (never removes)."""

    description: Any = settable(str | None)
    visibility: Any = settable(Visibility)
    artifact_types: Any = settable(list[str])
    allow_all_artifact_types: Any = settable(bool)


@dataclass(frozen=True)
class PromotionOverride:
    """A registry admin gave a protected alias to a version that failed its promotion rule."""

    version_id: str
    registry: str
    collection: str
    version_index: int
    alias: str
    rule: str
    failures: tuple[str, ...]
    """The comparisons that failed, with the actual values, as the refusal named them."""
    reason: str
    user: str
    created_at: str
