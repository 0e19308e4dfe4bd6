"""The web UI on the API server: an API key, kept in an HttpOnly cookie, logs a user
in; the user's role in an entity decides what they may read and edit, exactly as
for the API routes (any role reads, member or admin writes)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from archivist.client.backend import Backend
from archivist.core.accounts import WRITE_ROLES
from archivist.core.errors import PermissionDeniedError
from archivist.server.state import ServerState
from archivist.service.accounts import Principal, authenticate, principal_named, role_in


class _UserScopedService:
    """The service as one user sees it: their personal entity is the default."""

    def __init__(self, service: Backend, entity: str) -> None:
        self._service = service
        self._entity = entity

    def default_entity(self) -> str:
        return self._entity

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)


def mount_server_ui(app: FastAPI, state: ServerState) -> bool:
    """Add the UI under /ui when its packages are installed; returns whether it was mounted."""
    try:
        from archivist.server.ui import KeyUiAuth, UiUser, mount_ui
    except ImportError:  # the 'ui' extra is missing: the API still works
        return False

    def principal(user: UiUser) -> Principal | None:
        return principal_named(state.engine, user.name)

    def resolve_key(key: str) -> tuple[str, bool] | None:
        found = authenticate(state.engine, key)
        return None if found is None else (found.name, found.is_admin)

    def role(user: UiUser, entity: str) -> str | None:
        found = principal(user)
        return None if found is None else role_in(state.engine, found, entity)

    def can_write(user: UiUser, entity: str) -> bool:
        return role(user, entity) in WRITE_ROLES

    def backend_for_request(request: Request, user: UiUser) -> Backend:
        entity = request.path_params.get("entity")
        if entity is not None and role(user, str(entity)) is None:
            raise PermissionDeniedError(
                f"user {user.name!r} has no role in entity {entity!r}; an admin can add you with "
                f"'archivist team add {entity} {user.name} --role viewer'"
            )
        return _UserScopedService(state.service, user.name)  # type: ignore[return-value]

    mount_ui(app, backend_for_request, KeyUiAuth(resolve_key, can_write), state.public_message)
    return True
