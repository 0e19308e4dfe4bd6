"""The account calls of the API (``archivist.core.accounts_api``: users, keys, teams and
their members) implemented as methods of one object, so that the server dispatches them
like the Backend calls: by name, after the rights they declare were checked."""

from __future__ import annotations

from sqlalchemy import Engine

from archivist.core.accounts import (
    ApiKeyRecord,
    Identity,
    MemberRecord,
    NewApiKey,
    NewUser,
    TeamRecord,
    UserRecord,
)
from archivist.service import accounts, teams
from archivist.service.accounts import Principal


class AccountCalls:
    def __init__(self, engine: Engine, principal: Principal) -> None:
        self.engine = engine
        self.principal = principal

    def identity(self) -> Identity:
        """The user of the key; their personal entity is the default entity of paths."""
        name = self.principal.name
        return Identity(user=name, default_entity=name, is_admin=self.principal.is_admin)

    def create_user(self, name: str, is_admin: bool = False) -> NewUser:
        return accounts.create_user(self.engine, name, is_admin)

    def list_users(self) -> list[UserRecord]:
        return accounts.list_users(self.engine)

    def set_user_disabled(self, name: str, disabled: bool = True) -> UserRecord:
        return accounts.set_user_disabled(self.engine, name, disabled, by=self.principal)

    def create_key(self, user: str, description: str | None = None) -> NewApiKey:
        return accounts.create_key(self.engine, user, description)

    def list_keys(self, user: str) -> list[ApiKeyRecord]:
        return accounts.list_keys(self.engine, user)

    def revoke_key(self, key_id: str) -> ApiKeyRecord:
        return accounts.revoke_key(self.engine, key_id)

    def create_team(self, name: str) -> str:
        return teams.create_team(self.engine, name)

    def set_member(self, team: str, user: str, role: str = "member") -> MemberRecord:
        return teams.set_member(self.engine, team, user, role)

    def list_members(self, team: str) -> list[MemberRecord]:
        return teams.list_members(self.engine, team)

    def remove_member(self, team: str, user: str) -> MemberRecord:
        return teams.remove_member(self.engine, team, user)

    def list_teams(self) -> list[TeamRecord]:
        return teams.list_teams(self.engine, self.principal)

    def create_own_key(self, description: str | None = None) -> NewApiKey:
        return accounts.create_key(self.engine, self.principal.name, description)

    def list_own_keys(self) -> list[ApiKeyRecord]:
        return accounts.list_keys(self.engine, self.principal.name)

    def revoke_own_key(self, key_id: str) -> ApiKeyRecord:
        return accounts.revoke_key(self.engine, key_id, owner=self.principal.user_id)
