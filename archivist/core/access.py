"""Who may make a call: the vocabulary of the declarations the server's checks derive from.

Every call of the Backend protocol and of the account administration declares, with its
signature (``archivist.core.calls``), what it touches and the right it needs there; the
blob calls do so in ``BLOB_CALLS`` below. A ``Need`` names a right
(read, write, manage) on a target found in the call's arguments:

- ``Entity("ref.entity")``: the entity an argument names (a dotted path into the bound
  arguments: ``request.run.entity`` is the ``entity`` of the ``run`` of ``request``);
- ``Version("version_id")``: the entity that really holds the version the id names (read
  from the database after the id was checked to be canonical, never from the request);
- ``Node("node_id")``: a lineage root, a version id or a run path ``entity/project/run_id``;
- ``Registry("name")``: the registry an argument names; the role there is the highest of
  the registry's own roles of the user and of their teams, the role in the organization's
  entity, and restricted_viewer for every user when the registry's visibility is
  ``organization`` (``service.registry_roles``). An ``Entity`` that is the
  organization's is decided the same way, for the registry its sibling ``project``
  argument names (``query.entity`` -> ``query.project``); so is a ``Version`` that is a
  link;
- ``SERVER``: server administration (a user flagged ``is_admin``);
- ``ANY_USER``: any live key; the answer is scoped to what the caller may read (blob
  presence, lineage placeholders);
- ``SOME_ENTITY``: write access to at least one entity (uploads, bounded by a quota).

An optional need is skipped when its argument is None (a commit without a run). The
server refuses a call that declares nothing, so a new call cannot ship unchecked.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Right(str, enum.Enum):
    READ = "read"
    """Any role: viewer, member or admin (in a registry also restricted_viewer: metadata)."""
    DOWNLOAD = "download"
    """A version's files and its use as a run's input: any role of an entity; in a registry,
    viewer or above (a restricted viewer reads metadata only)."""
    WRITE = "write"
    """member or admin."""
    MANAGE = "manage"
    """admin of the entity."""


@dataclass(frozen=True)
class Entity:
    arg: str


@dataclass(frozen=True)
class Version:
    arg: str


@dataclass(frozen=True)
class Node:
    arg: str


@dataclass(frozen=True)
class Registry:
    arg: str


@dataclass(frozen=True)
class Everyone:
    """A target that is not an entity: ``SERVER``, ``ANY_USER`` or ``SOME_ENTITY``."""

    name: str


SERVER = Everyone("server administration")
ANY_USER = Everyone("any user")
SOME_ENTITY = Everyone("some entity")

Target = Entity | Version | Node | Registry | Everyone


@dataclass(frozen=True)
class Need:
    right: Right
    target: Target
    optional: bool = False


def read(target: Target, *, optional: bool = False) -> Need:
    return Need(Right.READ, target, optional)


def download(target: Target, *, optional: bool = False) -> Need:
    return Need(Right.DOWNLOAD, target, optional)


def write(target: Target, *, optional: bool = False) -> Need:
    return Need(Right.WRITE, target, optional)


def manage(target: Target) -> Need:
    return Need(Right.MANAGE, target)


ANYONE: tuple[Need, ...] = (read(ANY_USER),)
UPLOADER: tuple[Need, ...] = (write(SOME_ENTITY),)

BLOB_CALLS: Mapping[str, tuple[Need, ...]] = {
    # presence and reads are scoped to the blobs the caller may read (``service.blob_access``)
    "missing_blobs": ANYONE,
    "read_bytes": ANYONE,
    "local_blob_path": ANYONE,
    "download_blob": ANYONE,
    "download_blobs": ANYONE,
    "download_plan": ANYONE,
    "upload_files": UPLOADER,
    "upload_bytes": UPLOADER,
    "upload_plan": UPLOADER,
    "upload_complete": UPLOADER,
}
"""The blob calls; the metadata and account calls declare theirs with their signatures
(``archivist.core.backend``, ``archivist.core.accounts_api``; all gathered in ``core.api``)."""


def argument(arguments: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of the bound arguments (attributes below the first
    name); None when a step on the way is None (an optional run that is absent)."""
    first, *rest = path.split(".")
    value = arguments.get(first)
    for name in rest:
        if value is None:
            return None
        value = getattr(value, name)
    return value
