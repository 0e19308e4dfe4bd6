"""TTL policies of versions and the team default TTL (``core.lifecycle`` says what they mean).

A version stores its policy (``versions.ttl_seconds``) and, for a TTL of its own, when it
expires (``expires_at``); an inherited TTL is the entity's ``default_ttl_seconds`` counted
from the version's creation, so changing the default applies to existing versions too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Connection, select, update

from archivist.core.accounts import ADMIN
from archivist.core.errors import InvalidInputError
from archivist.core.lifecycle import (
    DEFAULT_TTL_EDITORS,
    TTL_DISABLED,
    ttl_refusal,
    validate_default_ttl,
    validate_ttl_editors,
    validate_ttl_policy,
)
from archivist.core.models import UNSET, VersionState, VersionUpdate
from archivist.core.names import validate_entity
from archivist.metadata.dialects import insert_ignoring_conflict
from archivist.metadata.schema import collections, entities, projects, versions
from archivist.service.authorization import Access
from archivist.service.timestamps import utc_now


def checked_policy(value: object, type_name: str, is_link: bool) -> int:
    """The policy to store for ``value`` on a version of ``type_name``: a TTL of its own is
    refused on a link or a generated type, which never expire (their policy stays none)."""
    policy = validate_ttl_policy(value)
    refusal = ttl_refusal(type_name, is_link)
    if refusal is None:
        return policy
    if policy > 0:
        raise InvalidInputError(f"{refusal}: ttl_seconds {value!r}; such versions take no TTL")
    return TTL_DISABLED


def policy_if_linked(connection: Connection, version_id: int, policy: int) -> int:
    """A version linked to a registry takes no TTL (linking cleared it): a TTL of its own is
    refused, inheriting the team default keeps none (a save of an object read before the
    link sends that)."""
    if policy == TTL_DISABLED:
        return policy
    linked = connection.execute(
        select(versions.c.id).where(
            versions.c.source_version_id == version_id, versions.c.state == VersionState.COMMITTED.value
        )
    ).first()
    if linked is None:
        return policy
    if policy > 0:
        raise InvalidInputError(
            "Cannot set TTL for an artifact linked to a registry: linking deactivated it; "
            "unlink it first to set one"
        )
    return TTL_DISABLED


def expiry(created_at: dt.datetime, policy: int | None) -> dt.datetime | None:
    """When a TTL of the version's own runs out; it counts from creation, so changing it
    later does not reset the clock."""
    if policy is None or policy <= 0:
        return None
    return created_at + dt.timedelta(seconds=policy)


def clear_ttl(connection: Connection, version_id: int) -> None:
    """Linking a version to a registry deactivates its TTL; unlinking does not restore it."""
    connection.execute(
        update(versions).where(versions.c.id == version_id).values(ttl_seconds=TTL_DISABLED, expires_at=None)
    )


def set_default_ttl(connection: Connection, entity: str, ttl_seconds: int | None) -> None:
    """Set (None: remove) the entity's default TTL, creating the entity if nothing is stored
    in it yet."""
    seconds = validate_default_ttl(ttl_seconds)
    name = validate_entity(entity)
    insert_ignoring_conflict(connection, entities, {"name": name, "created_at": utc_now()}, ["name"])
    connection.execute(update(entities).where(entities.c.name == name).values(default_ttl_seconds=seconds))


def get_default_ttl(connection: Connection, entity: str) -> int | None:
    row = connection.execute(
        select(entities.c.default_ttl_seconds).where(entities.c.name == validate_entity(entity))
    ).first()
    return None if row is None or row[0] is None else int(row[0])


def set_ttl_editors(connection: Connection, entity: str, editors: str) -> None:
    """Who may set TTLs in the entity (``admins`` or ``members``), creating the entity if
    nothing is stored in it yet."""
    value = validate_ttl_editors(editors)
    name = validate_entity(entity)
    insert_ignoring_conflict(connection, entities, {"name": name, "created_at": utc_now()}, ["name"])
    connection.execute(update(entities).where(entities.c.name == name).values(ttl_editors=value))


def get_ttl_editors(connection: Connection, entity: str) -> str:
    row = connection.execute(
        select(entities.c.ttl_editors).where(entities.c.name == validate_entity(entity))
    ).first()
    return DEFAULT_TTL_EDITORS if row is None or row[0] is None else str(row[0])


def may_set_ttl(
    connection: Connection, access: Access | None, entity: str, project: str | None = None
) -> bool:
    """Whether the caller may set TTLs in ``entity`` (SPEC §6: the team setting; the
    embedded store's user, with no ``access``, is its admin)."""
    if access is None or get_ttl_editors(connection, entity) != "admins":
        return True
    return access.role(entity, project) == ADMIN


def allowed_update(
    connection: Connection, access: Access | None, version_pk: int, change: VersionUpdate
) -> VersionUpdate:
    """``change`` without its TTL when the caller may not set TTLs where the version is:
    that TTL silently does not apply, the rest of the change does (SPEC §6)."""
    if change.ttl_seconds is UNSET or _may_set_version_ttl(connection, access, version_pk):
        return change
    return dataclasses.replace(change, ttl_seconds=UNSET)


def _may_set_version_ttl(connection: Connection, access: Access | None, version_pk: int) -> bool:
    if access is None:
        return True
    row = connection.execute(
        select(entities.c.name, projects.c.name)
        .select_from(versions)
        .join(collections, collections.c.id == versions.c.collection_id)
        .join(projects, projects.c.id == collections.c.project_id)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(versions.c.id == version_pk)
    ).one()
    return may_set_ttl(connection, access, row[0], row[1])
