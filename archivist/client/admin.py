"""AdminClient: a server's accounts API -- users, API keys, teams -- for the CLI."""

from __future__ import annotations

from archivist.client.http_session import ApiSession
from archivist.core.accounts import ApiKeyRecord, Identity, MemberRecord, NewApiKey, NewUser, UserRecord
from archivist.core.wire import from_dict


class AdminClient:
    def __init__(self, base_url: str, api_key: str | None) -> None:
        self.session = ApiSession(base_url, api_key, retries=2)

    def identity(self) -> Identity:
        return from_dict(Identity, self.session.call("/identity", method="GET", idempotent=True))

    def create_user(self, name: str, is_admin: bool = False) -> NewUser:
        answer = self.session.call(
            "/admin/users/create", {"name": name, "is_admin": is_admin}, idempotent=False
        )
        return from_dict(NewUser, answer)

    def list_users(self) -> list[UserRecord]:
        return [
            from_dict(UserRecord, item)
            for item in self.session.call("/admin/users", method="GET", idempotent=True)
        ]

    def create_key(self, user: str, description: str | None = None) -> NewApiKey:
        payload = {"user": user, "description": description}
        return from_dict(NewApiKey, self.session.call("/admin/keys/create", payload, idempotent=False))

    def list_keys(self, user: str) -> list[ApiKeyRecord]:
        answer = self.session.call("/admin/keys/list", {"user": user}, idempotent=True)
        return [from_dict(ApiKeyRecord, item) for item in answer]

    def revoke_key(self, key_id: str) -> ApiKeyRecord:
        return from_dict(
            ApiKeyRecord, self.session.call("/admin/keys/revoke", {"key_id": key_id}, idempotent=True)
        )

    def create_team(self, name: str) -> str:
        return str(self.session.call("/admin/teams/create", {"name": name}, idempotent=True))

    def set_member(self, team: str, user: str, role: str) -> MemberRecord:
        payload = {"team": team, "user": user, "role": role}
        return from_dict(
            MemberRecord, self.session.call("/admin/teams/members/set", payload, idempotent=True)
        )

    def list_members(self, team: str) -> list[MemberRecord]:
        answer = self.session.call("/admin/teams/members/list", {"name": team}, idempotent=True)
        return [from_dict(MemberRecord, item) for item in answer]

    def close(self) -> None:
        self.session.close()
