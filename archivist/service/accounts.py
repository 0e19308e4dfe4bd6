"""Server accounts in the metadata database: users, API keys, entity roles.

A key is ``ak_`` plus 43 URL-safe random characters (32 bytes). Only its
SHA-256 is stored, so a stolen database yields no usable key, beside a random key
id (``kid_`` and 12 hex digits) that names the key in listings and revocations and
tells nothing about it. Keys shorter than ``MIN_KEY_LENGTH`` are refused, both an
operator's ARCHIVIST_ADMIN_KEY and any key a request sends. Every user gets a
personal entity of the same name, of which they are the admin.

``ensure_admin`` runs when a server starts; it holds the database's write lock
(SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so server processes
starting at the same moment create the first admin once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy.exc
from sqlalchemy import Connection, CursorResult, Engine, Row, insert, select, text, update

from archivist.core.accounts import (
    ADMIN,
    ApiKeyRecord,
    NewApiKey,
    NewUser,
    UserRecord,
    is_long_enough,
    validate_operator_key,
)
from archivist.core.errors import ConflictError, InvalidInputError, NotFoundError
from archivist.core.names import validate_entity
from archivist.metadata.engine import is_postgresql, read_transaction, write_transaction
from archivist.metadata.schema import api_keys, entities, entity_members, users
from archivist.service.timestamps import to_iso, utc_now

ADMIN_USER = "admin"
KEY_MARK = "ak_"
KEY_ID_MARK = "kid_"
ADMIN_KEY_VARIABLE = "ARCHIVIST_ADMIN_KEY"
_ACCOUNTS_LOCK_KEY = 0x41524355


@dataclass(frozen=True)
class Principal:
    """The user a request's key belongs to."""

    user_id: int
    name: str
    is_admin: bool


@dataclass(frozen=True)
class AdminBootstrap:
    """What ``ensure_admin`` did when the server started."""

    generated_key: str | None = None
    """A key it made for a new administrator, to be shown this once."""
    ignored_admin_key: bool = False
    """ARCHIVIST_ADMIN_KEY was set to a key no administrator holds, while one exists: it was not added."""


def generate_key() -> str:
    return KEY_MARK + secrets.token_urlsafe(32)


def generate_key_id() -> str:
    """A key's public name: random, so that it tells nothing about the key."""
    return KEY_ID_MARK + secrets.token_hex(6)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@contextmanager
def accounts_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction in which a unique-key race reads as a conflict."""
    try:
        with write_transaction(engine) as connection:
            if is_postgresql(connection):
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ACCOUNTS_LOCK_KEY})
            yield connection
    except sqlalchemy.exc.IntegrityError as error:
        raise ConflictError(f"the account change conflicts with existing data: {error.orig}") from None


# --- authentication ----------------------------------------------------------------------


def authenticate(engine: Engine, key: str) -> Principal | None:
    """The user owning ``key`` when it is a live key, else None (also for too short a key)."""
    if not is_long_enough(key):
        return None
    statement = (
        select(users.c.id, users.c.name, users.c.is_admin)
        .join(api_keys, api_keys.c.user_id == users.c.id)
        .where(
            api_keys.c.key_hash == hash_key(key),
            api_keys.c.revoked_at.is_(None),
            users.c.disabled_at.is_(None),
        )
    )
    with read_transaction(engine) as connection:
        row = connection.execute(statement).first()
    return None if row is None else Principal(row.id, row.name, bool(row.is_admin))


def principal_named(engine: Engine, name: str) -> Principal | None:
    """The user called ``name``, if there is one and they are not disabled."""
    statement = select(users.c.id, users.c.name, users.c.is_admin).where(
        users.c.name == name, users.c.disabled_at.is_(None)
    )
    with read_transaction(engine) as connection:
        row = connection.execute(statement).first()
    return None if row is None else Principal(row.id, row.name, bool(row.is_admin))


def role_in(engine: Engine, principal: Principal, entity: str) -> str | None:
    """The principal's role in ``entity``: server admins are admins everywhere."""
    if principal.is_admin:
        return ADMIN
    statement = (
        select(entity_members.c.role)
        .join(entities, entities.c.id == entity_members.c.entity_id)
        .where(entities.c.name == entity, entity_members.c.user_id == principal.user_id)
    )
    with read_transaction(engine) as connection:
        return connection.execute(statement).scalar()


# --- bootstrap ---------------------------------------------------------------------------


def ensure_admin(engine: Engine, admin_key: str | None) -> AdminBootstrap:
    """Make sure the server has an administrator.

    Only while no administrator exists: the user ``admin`` is made one, with
    ``admin_key`` (ARCHIVIST_ADMIN_KEY) as their key, or else a fresh key that is
    returned to be shown once. Once an administrator exists nothing is added; a
    different ``admin_key`` is then reported as ignored (keys are managed with
    ``archivist key``), so a changed environment cannot plant another admin key.
    """
    if admin_key is not None:
        validate_operator_key(admin_key, ADMIN_KEY_VARIABLE)
    with accounts_transaction(engine) as connection:
        if connection.execute(select(users.c.id).where(users.c.is_admin)).first() is not None:
            ignored = admin_key is not None and not _is_live_admin_key(connection, admin_key)
            return AdminBootstrap(ignored_admin_key=ignored)
        user_id = user_id_or_none(connection, ADMIN_USER) or _insert_user(connection, ADMIN_USER, True)
        connection.execute(update(users).where(users.c.id == user_id).values(is_admin=True))
        if admin_key is None:
            generated = generate_key()
            _insert_key(connection, user_id, generated, "created at first start")
            return AdminBootstrap(generated_key=generated)
        owner = connection.execute(
            select(api_keys.c.user_id).where(api_keys.c.key_hash == hash_key(admin_key))
        ).scalar()
        if owner is None:
            _insert_key(connection, user_id, admin_key, ADMIN_KEY_VARIABLE)
        elif owner != user_id:
            raise ConflictError(
                f"{ADMIN_KEY_VARIABLE} is already the key of another user; choose another key"
            )
        return AdminBootstrap()


def _is_live_admin_key(connection: Connection, key: str) -> bool:
    statement = (
        select(api_keys.c.id)
        .join(users, users.c.id == api_keys.c.user_id)
        .where(api_keys.c.key_hash == hash_key(key), api_keys.c.revoked_at.is_(None), users.c.is_admin)
    )
    return connection.execute(statement).first() is not None


# --- users and keys ----------------------------------------------------------------------


def create_user(engine: Engine, name: str, is_admin: bool = False) -> NewUser:
    """A new user, their personal entity (they are its admin) and their first key."""
    validate_entity(name)
    with accounts_transaction(engine) as connection:
        if user_id_or_none(connection, name) is not None:
            raise ConflictError(f"user {name!r} already exists")
        if entity_id_or_none(connection, name) is not None:
            raise ConflictError(f"an entity named {name!r} already exists; choose another user name")
        user_id = _insert_user(connection, name, is_admin)
        key = generate_key()
        row_id = _insert_key(connection, user_id, key, "first key")
        return NewUser(_user_record(connection, user_id), NewApiKey(_key_record(connection, row_id), key))


def list_users(engine: Engine) -> list[UserRecord]:
    with read_transaction(engine) as connection:
        ids = connection.execute(select(users.c.id).order_by(users.c.name)).scalars().all()
        return [_user_record(connection, user_id) for user_id in ids]


def set_user_disabled(engine: Engine, name: str, disabled: bool, by: Principal) -> UserRecord:
    """Disable the user ``name`` (their keys are refused; keys, roles and data stay) or enable
    them again. ``by`` may not disable themself (a server would be left without its admin)."""
    if not isinstance(disabled, bool):
        raise InvalidInputError(f"disabled must be true or false, got {disabled!r}")
    with accounts_transaction(engine) as connection:
        user_id = require_user(connection, name)
        if disabled and user_id == by.user_id:
            raise InvalidInputError(f"you cannot disable yourself ({name!r}); ask another administrator")
        connection.execute(
            update(users).where(users.c.id == user_id).values(disabled_at=utc_now() if disabled else None)
        )
        return _user_record(connection, user_id)


def create_key(engine: Engine, user: str, description: str | None = None) -> NewApiKey:
    if description is not None and not isinstance(description, str):
        raise InvalidInputError(f"key description must be a string, got {description!r}")
    with accounts_transaction(engine) as connection:
        key = generate_key()
        row_id = _insert_key(connection, require_user(connection, user), key, description)
        return NewApiKey(_key_record(connection, row_id), key)


def list_keys(engine: Engine, user: str) -> list[ApiKeyRecord]:
    with read_transaction(engine) as connection:
        user_id = require_user(connection, user)
        ids = connection.execute(
            select(api_keys.c.id).where(api_keys.c.user_id == user_id).order_by(api_keys.c.id)
        ).scalars()
        return [_key_record(connection, row_id) for row_id in ids]


def revoke_key(engine: Engine, key_id: str, owner: int | None = None) -> ApiKeyRecord:
    """Revoke the key with id ``key_id``; requests with it are refused from now on. With
    ``owner`` (a user id) only that user's key: another's is not found, as if absent."""
    with accounts_transaction(engine) as connection:
        row = None
        if isinstance(key_id, str):
            row = connection.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if row is None or (owner is not None and row.user_id != owner):
            listing = "archivist key list" + (" --user NAME" if owner is None else " --mine")
            raise NotFoundError(
                f"no API key with id {key_id!r}: key ids look like kid_0123456789ab; '{listing}' shows them"
            )
        if row.revoked_at is None:
            connection.execute(update(api_keys).where(api_keys.c.id == row.id).values(revoked_at=utc_now()))
        return _key_record(connection, row.id)


# --- rows --------------------------------------------------------------------------------


def user_id_or_none(connection: Connection, name: str) -> int | None:
    return connection.execute(select(users.c.id).where(users.c.name == name)).scalar()


def entity_id_or_none(connection: Connection, name: str) -> int | None:
    return connection.execute(select(entities.c.id).where(entities.c.name == name)).scalar()


def require_user(connection: Connection, name: object) -> int:
    user_id = user_id_or_none(connection, name) if isinstance(name, str) else None
    if user_id is None:
        raise NotFoundError(f"no user named {name!r}; 'archivist user list' shows the users")
    return user_id


def _insert_user(connection: Connection, name: str, is_admin: bool) -> int:
    now = utc_now()
    user_id = _inserted_id(
        connection.execute(insert(users).values(name=name, is_admin=is_admin, created_at=now))
    )
    entity_id = entity_id_or_none(connection, name)
    if entity_id is None:
        entity_id = _inserted_id(connection.execute(insert(entities).values(name=name, created_at=now)))
    connection.execute(
        insert(entity_members).values(entity_id=entity_id, user_id=user_id, role=ADMIN, created_at=now)
    )
    return user_id


def _insert_key(connection: Connection, user_id: int, key: str, description: str | None) -> int:
    values = {
        "user_id": user_id,
        "key_id": generate_key_id(),
        "key_hash": hash_key(key),
        "description": description,
        "created_at": utc_now(),
    }
    return _inserted_id(connection.execute(insert(api_keys).values(**values)))


def _inserted_id(result: CursorResult[Any]) -> int:
    primary_key = result.inserted_primary_key
    assert primary_key is not None
    return int(primary_key[0])


def _user_record(connection: Connection, user_id: int) -> UserRecord:
    row: Row[Any] = connection.execute(select(users).where(users.c.id == user_id)).one()
    return UserRecord(
        name=row.name,
        is_admin=bool(row.is_admin),
        created_at=to_iso(row.created_at),
        disabled=row.disabled_at is not None,
    )


def _key_record(connection: Connection, row_id: int) -> ApiKeyRecord:
    row = connection.execute(
        select(api_keys, users.c.name.label("user_name"))
        .join(users, users.c.id == api_keys.c.user_id)
        .where(api_keys.c.id == row_id)
    ).one()
    return ApiKeyRecord(
        id=row.key_id,
        user=row.user_name,
        description=row.description,
        created_at=to_iso(row.created_at),
        revoked=row.revoked_at is not None,
    )
