"""Registry roles: who holds which role in a registry, and a user's role in each.

A registry's members are users and teams (``registry_members``, keyed by the member's
entity: a user's personal entity, or a team). A user's role in a registry is the highest
of (SPEC §7):

- the role the registry gives the user themself, or any team they are a member of (whatever
  their role in that team);
- their role in the organization's entity (admin, member or viewer of every registry);
- ``restricted_viewer`` when the registry is visible to the whole organization.

A server administrator is admin everywhere (``service.authorization``), as is the embedded
store's own user. The organization's entity cannot itself be a member: its members hold
their organization role in every registry already.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, or_, select, update

from archivist.core.errors import InvalidInputError, NotFoundError
from archivist.core.registries import (
    DEFAULT_MEMBER_ROLE,
    ORGANIZATION,
    MemberKind,
    RegistryMember,
    Visibility,
    highest_role,
    validate_registry_role,
)
from archivist.metadata.schema import entities, entity_members, registries, registry_members, users
from archivist.service.registries import require_registry
from archivist.service.timestamps import utc_now


@dataclass(frozen=True)
class RegistryRole:
    """A user's role in one registry (None: none, the registry is hidden from them)."""

    name: str
    project_id: int
    role: str | None


def roles_of_user(
    connection: Connection, user_id: int, user_name: str, organization_role: str | None
) -> dict[str, RegistryRole]:
    """The user's role in every registry, keyed by the registry's name folded to lower case
    (names match whatever their case): two statements, whatever the number of registries."""
    personal = select(entities.c.id).where(entities.c.name == user_name)
    teams = select(entity_members.c.entity_id).where(
        entity_members.c.user_id == user_id,
        entity_members.c.entity_id.not_in(
            select(entities.c.id).where(entities.c.name.in_(select(users.c.name)))
        ),
    )
    granted: dict[int, list[str]] = {}
    statement = select(registry_members.c.registry_id, registry_members.c.role).where(
        or_(registry_members.c.entity_id.in_(personal), registry_members.c.entity_id.in_(teams))
    )
    for registry_id, role in connection.execute(statement):
        granted.setdefault(registry_id, []).append(role)
    found: dict[str, RegistryRole] = {}
    rows = connection.execute(
        select(registries.c.id, registries.c.name, registries.c.project_id, registries.c.visibility)
    )
    for row in rows:
        default = DEFAULT_MEMBER_ROLE if row.visibility == Visibility.ORGANIZATION.value else None
        role = highest_role(organization_role, default, *granted.get(row.id, ()))
        found[row.name.lower()] = RegistryRole(row.name, row.project_id, role)
    return found


def list_members(connection: Connection, registry: str) -> list[RegistryMember]:
    """The registry's own members (users and teams), by name."""
    row = require_registry(connection, registry)
    statement = (
        select(entities.c.name, registry_members.c.role, users.c.id.label("user_id"))
        .join(registry_members, registry_members.c.entity_id == entities.c.id)
        .outerjoin(users, users.c.name == entities.c.name)
        .where(registry_members.c.registry_id == row.id)
        .order_by(entities.c.name)
    )
    return [
        RegistryMember(item.name, MemberKind.TEAM if item.user_id is None else MemberKind.USER, item.role)
        for item in connection.execute(statement)
    ]


def add_members(
    connection: Connection, registry: str, members: Sequence[str], role: str = DEFAULT_MEMBER_ROLE
) -> list[RegistryMember]:
    """Give each user or team ``role`` in the registry; one already a member keeps its role
    (``update_member`` changes it). Returns the registry's members."""
    row = require_registry(connection, registry, lock=True)
    role = validate_registry_role(role)
    held = _member_ids(connection, row.id)
    now = utc_now()
    for entity_id, _ in _entities(connection, members):
        if entity_id not in held:
            connection.execute(
                insert(registry_members).values(
                    registry_id=row.id, entity_id=entity_id, role=role, created_at=now
                )
            )
            held.add(entity_id)
    return list_members(connection, row.name)


def update_member(connection: Connection, registry: str, member: str, role: str) -> RegistryMember:
    """Change the role of a user or team that is a member of the registry."""
    row = require_registry(connection, registry, lock=True)
    role = validate_registry_role(role)
    [(entity_id, kind)] = _entities(connection, [member])
    changed = connection.execute(
        update(registry_members)
        .where(registry_members.c.registry_id == row.id, registry_members.c.entity_id == entity_id)
        .values(role=role)
    ).rowcount
    if not changed:
        raise NotFoundError(
            f"{kind.value} {member!r} is not a member of registry {row.name!r}; add it with "
            "Registry.add_members first"
        )
    return RegistryMember(member, kind, role)


def remove_members(connection: Connection, registry: str, members: Sequence[str]) -> list[RegistryMember]:
    """Take the registry's role away from each user or team; each must be a member (else
    nothing is removed). Returns the registry's members."""
    row = require_registry(connection, registry, lock=True)
    found = _entities(connection, members)
    held = _member_ids(connection, row.id)
    for (entity_id, kind), name in zip(found, members, strict=True):
        if entity_id not in held:
            raise NotFoundError(
                f"{kind.value} {name!r} is not a member of registry {row.name!r}; "
                "Registry.members() lists them"
            )
    ids = [entity_id for entity_id, _ in found]
    if ids:
        connection.execute(
            delete(registry_members).where(
                registry_members.c.registry_id == row.id, registry_members.c.entity_id.in_(ids)
            )
        )
    return list_members(connection, row.name)


def make_admin(connection: Connection, registry: str, user: str) -> None:
    """The user who created the registry becomes its admin."""
    row = require_registry(connection, registry)
    [(entity_id, _)] = _entities(connection, [user])
    if entity_id not in _member_ids(connection, row.id):
        connection.execute(
            insert(registry_members).values(
                registry_id=row.id, entity_id=entity_id, role="admin", created_at=utc_now()
            )
        )


def _member_ids(connection: Connection, registry_id: int) -> set[int]:
    statement = select(registry_members.c.entity_id).where(registry_members.c.registry_id == registry_id)
    return set(connection.execute(statement).scalars())


def _entities(connection: Connection, names: Iterable[object]) -> list[tuple[int, MemberKind]]:
    """The entity id and kind of each user or team name, in order."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise InvalidInputError(f"registry members are a list of user or team names, got {names!r}")
    found: list[tuple[int, MemberKind]] = []
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidInputError(f"a registry member is a user or team name, got {name!r}")
        if name == ORGANIZATION:
            raise InvalidInputError(
                f"{ORGANIZATION!r} cannot be a member of a registry: its members hold their organization "
                f"role in every registry ('archivist team add {ORGANIZATION} USER --role ROLE')"
            )
        entity_id = connection.execute(select(entities.c.id).where(entities.c.name == name)).scalar()
        if entity_id is None:
            raise NotFoundError(
                f"no user or team named {name!r}; 'archivist user list' and 'archivist team list' show them"
            )
        is_user = connection.execute(select(users.c.id).where(users.c.name == name)).scalar() is not None
        found.append((entity_id, MemberKind.USER if is_user else MemberKind.TEAM))
    return found
