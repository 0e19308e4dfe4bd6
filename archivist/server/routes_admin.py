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
from archivist.service import accounts

router = api_router("accounts")


@router.get("/identity", response_model=Identity)
def identity(who: Who) -> JSONResponse:
    """The user of the key; their personal entity is the default entity of paths."""
    name = who.principal.name
    return reply(Identity(user=name, default_entity=name, is_admin=who.principal.is_admin))


@router.post("/admin/users/create", response_model=NewUser)
def create_user(body: UserCreateBody, who: Who) -> JSONResponse:
    """A new user with their personal entity and a first API key (shown only in this answer)."""
    who.require_server_admin("create users")
    return reply(accounts.create_user(who.state.engine, body.name, body.is_admin))


@router.get("/admin/users", response_model=list[UserRecord])
def list_users(who: Who) -> JSONResponse:
    who.require_server_admin("list users")
    return reply(accounts.list_users(who.state.engine))


@router.post("/admin/keys/create", response_model=NewApiKey)
def create_key(body: KeyCreateBody, who: Who) -> JSONResponse:
    """A new API key for a user (shown only in this answer; stored hashed)."""
    who.require_server_admin("create API keys")
    return reply(accounts.create_key(who.state.engine, body.user, body.description))


@router.post("/admin/keys/list", response_model=list[ApiKeyRecord])
def list_keys(body: UserBody, who: Who) -> JSONResponse:
    who.require_server_admin("list API keys")
    return reply(accounts.list_keys(who.state.engine, body.user))


@router.post("/admin/keys/revoke", response_model=ApiKeyRecord)
def revoke_key(body: KeyRevokeBody, who: Who) -> JSONResponse:
    who.require_server_admin("revoke API keys")
    return reply(accounts.revoke_key(who.state.engine, body.key_id))


@router.post("/admin/teams/create", response_model=str)
def create_team(body: TeamBody, who: Who) -> JSONResponse:
    who.require_server_admin("create teams")
    return reply(accounts.create_team(who.state.engine, body.name))


@router.post("/admin/teams/members/set", response_model=MemberRecord)
def set_member(body: MemberBody, who: Who) -> JSONResponse:
    """Give a user a role (admin, member, viewer) in a team."""
    who.require_manage(body.team)
    return reply(accounts.set_member(who.state.engine, body.team, body.user, body.role))


@router.post("/admin/teams/members/list", response_model=list[MemberRecord])
def list_members(body: TeamBody, who: Who) -> JSONResponse:
    who.require_read(body.name)
    return reply(accounts.list_members(who.state.engine, body.name))
