"""Teams and roles: team entities, who has which role in them, and the teams a user sees.

A team is an entity that is nobody's personal entity (``accounts``); its members hold a
role each (viewer, member, admin). A user's role in their own personal entity is not
changed here: it is theirs while they exist.
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, func, insert, select, update

from archivist.core.accounts import MemberRecord, TeamRecord, validate_role
from archivist.core.errors import ConflictError, InvalidInputError, NotFoundError
from archivist.core.names import validate_entity
from archivist.metadata.engine import read_transaction
from archivist.metadata.schema import entities, entity_members, users
from archivist.service.accounts import (
    Principal,
    accounts_transaction,
    entity_id_or_none,
    require_user,
    user_id_or_none,
)
from archivist.service.timestamps import utc_now


def create_team(engine: Engine, name: str) -> str:
    """Create the team entity ``name`` (an entity that already exists and is nobody's
    personal entity becomes the team); returns its name."""
    validate_entity(name)
    with accounts_transaction(engine) as connection:
        if user_id_or_none(connection, name) is not None:
            raise ConflictError(f"{name!r} is a user's personal entity; choose another team name")
        if entity_id_or_none(connection, name) is None:
            connection.execute(insert(entities).values(name=name, created_at=utc_now()))
        return name


def set_member(engine: Engine, entity: str, user: str, role: str) -> MemberRecord:
    """Give ``user`` the ``role`` in ``entity`` (replacing a role they had)."""
    validate_role(role)
    with accounts_transaction(engine) as connection:
        entity_id = entity_id_or_none(connection, entity)
        if entity_id is None:
            raise NotFoundError(
                f"no entity named {entity!r}; create it with 'archivist team create {entity}'"
            )
        user_id = require_user(connection, user)
        key = {"entity_id": entity_id, "user_id": user_id}
        changed = connection.execute(update(entity_members).filter_by(**key).values(role=role)).rowcount
        if not changed:
            connection.execute(insert(entity_members).values(**key, role=role, created_at=utc_now()))
        return MemberRecord(entity=entity, user=user, role=role)


def list_members(engine: Engine, entity: str) -> list[MemberRecord]:
    statement = (
        select(users.c.name, entity_members.c.role)
        .join(entity_members, entity_members.c.user_id == users.c.id)
        .join(entities, entities.c.id == entity_members.c.entity_id)
        .where(entities.c.name == entity)
        .order_by(users.c.name)
    )
    with read_transaction(engine) as connection:
        if entity_id_or_none(connection, entity) is None:
            raise NotFoundError(f"no entity named {entity!r}")
        return [MemberRecord(entity, row.name, row.role) for row in connection.execute(statement)]


def remove_member(engine: Engine, entity: str, user: str) -> MemberRecord:
    """Take ``user``'s role in the team ``entity`` away; returns the role they had."""
    with accounts_transaction(engine) as connection:
        entity_id = entity_id_or_none(connection, entity)
        if entity_id is None:
            raise NotFoundError(f"no entity named {entity!r}; 'archivist team list' shows your teams")
        if user_id_or_none(connection, entity) is not None:
            raise InvalidInputError(
                f"{entity!r} is a user's personal entity, not a team: its owner's role cannot be removed"
            )
        user_id = require_user(connection, user)
        key = {"entity_id": entity_id, "user_id": user_id}
        role = connection.execute(select(entity_members.c.role).filter_by(**key)).scalar()
        if role is None:
            raise NotFoundError(
                f"{user!r} is not a member of {entity!r}; 'archivist team members {entity}' lists them"
            )
        connection.execute(delete(entity_members).filter_by(**key))
        return MemberRecord(entity=entity, user=user, role=role)


def list_teams(engine: Engine, principal: Principal) -> list[TeamRecord]:
    """The teams ``principal`` has a role in (every team for a server administrator), by name,
    with the caller's role and the number of members."""
    personal = select(users.c.name)
    members = (
        select(entity_members.c.entity_id, func.count().label("members"))
        .group_by(entity_members.c.entity_id)
        .subquery()
    )
    mine = (
        select(entity_members.c.entity_id, entity_members.c.role)
        .where(entity_members.c.user_id == principal.user_id)
        .subquery()
    )
    statement = (
        select(entities.c.name, mine.c.role, func.coalesce(members.c.members, 0).label("members"))
        .outerjoin(mine, mine.c.entity_id == entities.c.id)
        .outerjoin(members, members.c.entity_id == entities.c.id)
        .where(entities.c.name.not_in(personal))
        .order_by(entities.c.name)
    )
    if not principal.is_admin:
        statement = statement.where(mine.c.role.is_not(None))
    with read_transaction(engine) as connection:
        return [TeamRecord(row.name, row.role, int(row.members)) for row in connection.execute(statement)]
