"""Who may make each call: the one table the server's checks are derived from.

Every call of the Backend protocol, of the account administration and of the blob routes
declares here what it touches and the right it needs there. A ``Need`` names a right
(read, write, manage) on a target found in the call's arguments:

- ``Entity("ref.entity")``: the entity an argument names (a dotted path into the bound
  arguments: ``request.run.entity`` is the ``entity`` of the ``run`` of ``request``);
- ``Version("version_id")``: the entity that really holds the version the id names (read
  from the database after the id was checked to be canonical, never from the request);
- ``Node("node_id")``: a lineage root, a version id or a run path ``entity/project/run_id``;
- ``SERVER``: server administration (a user flagged ``is_admin``);
- ``ANY_USER``: any live key; the answer is scoped to what the caller may read (blob
  presence, lineage placeholders);
- ``SOME_ENTITY``: write access to at least one entity (uploads, bounded by a quota).

An optional need is skipped when its argument is None (a commit without a run). The
server refuses a call that has no entry here, so a new call cannot ship unchecked.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class Right(str, enum.Enum):
    READ = "read"
    """Any role: viewer, member or admin."""
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
class Everyone:
    """A target that is not an entity: ``SERVER``, ``ANY_USER`` or ``SOME_ENTITY``."""

    name: str


SERVER = Everyone("server administration")
ANY_USER = Everyone("any user")
SOME_ENTITY = Everyone("some entity")

Target = Entity | Version | Node | Everyone


@dataclass(frozen=True)
class Need:
    right: Right
    target: Target
    optional: bool = False


def read(target: Target, *, optional: bool = False) -> Need:
    return Need(Right.READ, target, optional)


def write(target: Target, *, optional: bool = False) -> Need:
    return Need(Right.WRITE, target, optional)


def manage(target: Target) -> Need:
    return Need(Right.MANAGE, target)


ANYONE: tuple[Need, ...] = (read(ANY_USER),)
SERVER_ADMIN: tuple[Need, ...] = (manage(SERVER),)
UPLOADER: tuple[Need, ...] = (write(SOME_ENTITY),)

CALLS: Mapping[str, tuple[Need, ...]] = {
    # identity
    "default_entity": ANYONE,
    "identity": ANYONE,
    # runs
    "upsert_run": (write(Entity("spec.ref.entity")),),
    "update_run": (write(Entity("ref.entity")),),
    "get_run": (read(Entity("ref.entity")),),
    "list_runs": (read(Entity("entity")),),
    "append_history": (write(Entity("ref.entity")),),
    "read_history": (read(Entity("ref.entity")),),
    "add_run_files": (write(Entity("ref.entity")),),
    "list_run_files": (read(Entity("ref.entity")),),
    # blobs: presence and reads are scoped to the blobs the caller may read
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
    # versions
    "commit_version": (
        write(Entity("request.entity")),
        write(Entity("request.run.entity"), optional=True),
        read(Version("request.base_version_id"), optional=True),
    ),
    "resolve_version": (read(Entity("entity")),),
    "get_version": (read(Version("version_id")),),
    "list_versions": (read(Entity("query.entity")),),
    "update_version": (write(Version("version_id")),),
    "delete_version": (write(Version("version_id")),),
    # collections and types
    "list_projects": (read(Entity("entity")),),
    "list_types": (read(Entity("entity")),),
    "list_collections": (read(Entity("entity")),),
    "get_collection": (read(Entity("entity")),),
    "update_collection": (write(Entity("entity")),),
    "delete_collection": (write(Entity("entity")),),
    # lineage
    "record_use": (write(Entity("ref.entity")), read(Version("version_id"))),
    "version_producer": (read(Version("version_id")),),
    "version_consumers": (read(Version("version_id")),),
    "run_outputs": (read(Entity("ref.entity")),),
    "run_inputs": (read(Entity("ref.entity")),),
    "lineage": (read(Node("node_id")),),
    # accounts
    "create_user": SERVER_ADMIN,
    "list_users": SERVER_ADMIN,
    "create_key": SERVER_ADMIN,
    "list_keys": SERVER_ADMIN,
    "revoke_key": SERVER_ADMIN,
    "create_team": SERVER_ADMIN,
    "set_member": (manage(Entity("team")),),
    "list_members": (read(Entity("team")),),
}


def needs_of(call: str) -> tuple[Need, ...]:
    """The needs of ``call``; ``KeyError`` for a call nobody declared (refused, never allowed)."""
    return CALLS[call]


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
