"""Records of the server's accounts: users, API keys and entity roles.

Roles are per entity (a user's own entity or a team): ``viewer`` reads and
downloads, ``member`` also writes, ``admin`` also manages the entity's members.
A user flagged ``is_admin`` is a server administrator: every entity, and the
users, keys and teams of the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from archivist.core.errors import InvalidInputError

ADMIN, MEMBER, VIEWER = "admin", "member", "viewer"
ROLES = (ADMIN, MEMBER, VIEWER)
WRITE_ROLES = frozenset({ADMIN, MEMBER})
MIN_KEY_LENGTH = 32
"""Shorter API keys are refused: an operator's own key and every key a request sends."""


def validate_role(role: object) -> str:
    if role not in ROLES:
        raise InvalidInputError(f"invalid role {role!r}: use one of {', '.join(ROLES)}")
    return str(role)


def is_long_enough(key: str) -> bool:
    return len(key) >= MIN_KEY_LENGTH


def validate_operator_key(key: str, name: str) -> str:
    """``key`` as set by an operator in the variable ``name``, refused when too short to be secret."""
    if not is_long_enough(key):
        raise InvalidInputError(
            f"{name} is too short ({len(key)} characters): use at least {MIN_KEY_LENGTH} random characters, "
            "such as ak_$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return key


@dataclass(frozen=True)
class UserRecord:
    name: str
    is_admin: bool
    created_at: str
    disabled: bool = False
    """A disabled user's keys are refused (until an administrator enables the user again)."""


@dataclass(frozen=True)
class ApiKeyRecord:
    """A key as listed: never the key itself. ``id`` is a random key id (``kid_`` and 12
    hex digits) that says nothing about the key's secret; revoking takes it."""

    id: str
    user: str
    description: str | None
    created_at: str
    revoked: bool


@dataclass(frozen=True)
class NewApiKey:
    """A key just created: ``key`` is shown this once and stored only hashed."""

    record: ApiKeyRecord
    key: str


@dataclass(frozen=True)
class NewUser:
    """A user just created with their first key (shown this once)."""

    user: UserRecord
    key: NewApiKey


@dataclass(frozen=True)
class MemberRecord:
    entity: str
    user: str
    role: str


@dataclass(frozen=True)
class TeamRecord:
    """A team as its member sees it: ``role`` is the caller's role in it (None for a server
    administrator who is not a member)."""

    name: str
    role: str | None
    members: int


@dataclass(frozen=True)
class Identity:
    """Who a key belongs to, as ``GET /api/v1/identity`` answers."""

    user: str
    default_entity: str
    is_admin: bool
