"""Who am I, and the administration of users, API keys and teams.

Users and keys are managed by server administrators only. A team's members are
managed by server administrators and by the team's own admins.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

from archivist.core.accounts import ApiKeyRecord, Identity, MemberRecord, NewApiKey, NewUser, UserRecord
from archivist.server.auth import Who
from archivist.server.replies import api_router, reply
from archivist.server.schemas import (
    KeyCreateBody,
    KeyRevokeBody,
    MemberBody,
    TeamBody,
    UserBody,
    UserCreateBody,
)

router = api_router("accounts")


@router.get("/identity", response_model=Identity)
def identity(who: Who) -> JSONResponse:
    """The user of the key; their personal entity is the default entity of paths."""
    return reply(who.call("identity"))


@router.post("/admin/users/create", response_model=NewUser)
def create_user(body: UserCreateBody, who: Who) -> JSONResponse:
    """A new user with their personal entity and a first API key (shown only in this answer)."""
    return reply(who.call("create_user", body.name, body.is_admin))


@router.get("/admin/users", response_model=list[UserRecord])
def list_users(who: Who) -> JSONResponse:
    return reply(who.call("list_users"))


@router.post("/admin/keys/create", response_model=NewApiKey)
def create_key(body: KeyCreateBody, who: Who) -> JSONResponse:
    """A new API key for a user (shown only in this answer; stored hashed)."""
    return reply(who.call("create_key", body.user, body.description))


@router.post("/admin/keys/list", response_model=list[ApiKeyRecord])
def list_keys(body: UserBody, who: Who) -> JSONResponse:
    return reply(who.call("list_keys", body.user))


@router.post("/admin/keys/revoke", response_model=ApiKeyRecord)
def revoke_key(body: KeyRevokeBody, who: Who) -> JSONResponse:
    return reply(who.call("revoke_key", body.key_id))


@router.post("/admin/teams/create", response_model=str)
def create_team(body: TeamBody, who: Who) -> JSONResponse:
    return reply(who.call("create_team", body.name))


@router.post("/admin/teams/members/set", response_model=MemberRecord)
def set_member(body: MemberBody, who: Who) -> JSONResponse:
    """Give a user a role (admin, member, viewer) in a team."""
    return reply(who.call("set_member", body.team, body.user, body.role))


@router.post("/admin/teams/members/list", response_model=list[MemberRecord])
def list_members(body: TeamBody, who: Who) -> JSONResponse:
    return reply(who.call("list_members", body.name))
