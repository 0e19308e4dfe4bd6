"""The account calls of the API (``archivist.core.accounts_api``: users, keys, teams and
their members) implemented as methods of one object, so that the server dispatches them
like the Backend calls: by name, after the rights they declare were checked."""

from __future__ import annotations

from sqlalchemy import Engine

from archivist.core.accounts import ApiKeyRecord, Identity, MemberRecord, NewApiKey, NewUser, UserRecord
from archivist.service import accounts
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

    def create_key(self, user: str, description: str | None = None) -> NewApiKey:
        return accounts.create_key(self.engine, user, description)

    def list_keys(self, user: str) -> list[ApiKeyRecord]:
        return accounts.list_keys(self.engine, user)

    def revoke_key(self, key_id: str) -> ApiKeyRecord:
        return accounts.revoke_key(self.engine, key_id)

    def create_team(self, name: str) -> str:
        return accounts.create_team(self.engine, name)

    def set_member(self, team: str, user: str, role: str = "member") -> MemberRecord:
        return accounts.set_member(self.engine, team, user, role)

    def list_members(self, team: str) -> list[MemberRecord]:
        return accounts.list_members(self.engine, team)
