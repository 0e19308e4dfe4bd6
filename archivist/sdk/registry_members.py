"""A registry's members as W&B's SDK shows them: ``UserMember`` and ``TeamMember`` with a
``MemberRole``, and the user or team names the member calls take (``Registry.members()``,
``add_members``, ``remove_members``, ``update_member``)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from archivist.core.errors import InvalidInputError
from archivist.core.registries import MemberKind, RegistryMember


class MemberRole(str, enum.Enum):
    """A registry role (W&B's names)."""

    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"
    RESTRICTED_VIEWER = "restricted_viewer"


@dataclass(frozen=True)
class User:
    """A user, by name (``username`` as W&B's ``User`` has it)."""

    name: str

    @property
    def username(self) -> str:
        return self.name


@dataclass(frozen=True)
class Team:
    """A team, by name."""

    name: str


@dataclass(frozen=True)
class UserMember:
    user: User
    role: MemberRole
    kind = MemberKind.USER


@dataclass(frozen=True)
class TeamMember:
    team: Team
    role: MemberRole
    kind = MemberKind.TEAM


Member = UserMember | TeamMember
MemberOrName = User | Team | UserMember | TeamMember | str
"""What a member call takes: a user or team (or their member entry), or its name."""


def member_of(record: RegistryMember) -> Member:
    role = MemberRole(record.role)
    if record.kind is MemberKind.USER:
        return UserMember(User(record.name), role)
    return TeamMember(Team(record.name), role)


def member_name(member: object) -> str:
    """The user or team name a member argument stands for."""
    if isinstance(member, UserMember):
        return member.user.name
    if isinstance(member, TeamMember):
        return member.team.name
    if isinstance(member, (User, Team)):
        return member.name
    if isinstance(member, str):
        return member
    raise TypeError(
        f"a registry member is a user or team name, a User, Team, UserMember or TeamMember; "
        f"got {type(member).__name__}: {member!r}"
    )


def member_names(members: Iterable[object]) -> list[str]:
    names = [member_name(member) for member in members]
    if not names:
        raise InvalidInputError("name at least one user or team")
    return list(dict.fromkeys(names))


def role_value(role: object) -> str:
    """A role given as a ``MemberRole`` or its name."""
    if isinstance(role, MemberRole):
        return role.value
    if isinstance(role, str):
        return role
    allowed = ", ".join(r.value for r in MemberRole)
    raise InvalidInputError(f"invalid registry role {role!r}: use one of {allowed}")
