"""The account calls of a server (users, API keys, teams and their members), each declared
once like the Backend's (``archivist.core.calls``): the service implements them
(``archivist.service.account_calls``), the server and the admin client are derived."""

from __future__ import annotations

from typing import Protocol

from archivist.core.access import ANY_USER, SERVER, Entity, manage, read
from archivist.core.accounts import (
    ApiKeyRecord,
    Identity,
    MemberRecord,
    NewApiKey,
    NewUser,
    TeamRecord,
    UserRecord,
)
from archivist.core.calls import call
from archivist.core.ids import Name


class AccountsApi(Protocol):
    @call("/identity", read(ANY_USER), method="GET")
    def identity(self) -> Identity:
        """The user of the key; their personal entity is the default entity of paths."""
        ...

    @call("/admin/users/create", manage(SERVER), idempotent=False)
    def create_user(self, name: Name, is_admin: bool = False) -> NewUser:
        """A new user with their personal entity and a first API key (shown only in this answer)."""
        ...

    @call("/admin/users", manage(SERVER), method="GET")
    def list_users(self) -> list[UserRecord]:
        """Every user of the server."""
        ...

    @call("/admin/users/disable", manage(SERVER))
    def set_user_disabled(self, name: Name, disabled: bool = True) -> UserRecord:
        """Disable a user (their keys are refused from now on, the keys and data stay) or,
        with ``disabled=False``, enable them again. An administrator cannot disable themself."""
        ...

    @call("/admin/keys/create", manage(SERVER), idempotent=False)
    def create_key(self, user: Name, description: str | None = None) -> NewApiKey:
        """A new API key for a user (shown only in this answer; stored hashed)."""
        ...

    @call("/admin/keys/list", manage(SERVER))
    def list_keys(self, user: Name) -> list[ApiKeyRecord]:
        """The user's keys, by key id (never the keys themselves)."""
        ...

    @call("/admin/keys/revoke", manage(SERVER))
    def revoke_key(self, key_id: str) -> ApiKeyRecord:
        """Revoke the key with this key id; requests with it are refused from now on."""
        ...

    @call("/admin/teams/create", manage(SERVER))
    def create_team(self, name: Name) -> str:
        """Create a team entity; returns its name."""
        ...

    @call("/admin/teams/members/set", manage(Entity("team")))
    def set_member(self, team: Name, user: Name, role: str = "member") -> MemberRecord:
        """Give a user a role (admin, member, viewer) in a team."""
        ...

    @call("/admin/teams/members/list", read(Entity("team")))
    def list_members(self, team: Name) -> list[MemberRecord]:
        """The team's members and their roles."""
        ...

    @call("/admin/teams/members/remove", manage(Entity("team")))
    def remove_member(self, team: Name, user: Name) -> MemberRecord:
        """Take a user's role in a team away; returns the role they had."""
        ...

    @call("/teams/list", read(ANY_USER), method="GET")
    def list_teams(self) -> list[TeamRecord]:
        """The teams the caller has a role in (every team for a server administrator)."""
        ...

    # --- the caller's own keys -------------------------------------------------------------
    @call("/keys/mine/create", read(ANY_USER), idempotent=False)
    def create_own_key(self, description: str | None = None) -> NewApiKey:
        """A new API key for the caller (shown only in this answer)."""
        ...

    @call("/keys/mine/list", read(ANY_USER), method="GET")
    def list_own_keys(self) -> list[ApiKeyRecord]:
        """The caller's keys, by key id."""
        ...

    @call("/keys/mine/revoke", read(ANY_USER))
    def revoke_own_key(self, key_id: str) -> ApiKeyRecord:
        """Revoke one of the caller's keys (another user's key id is answered as not found)."""
        ...
