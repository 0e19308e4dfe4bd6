"""The web UI on the API server: an API key, kept in an HttpOnly cookie, logs a user
in; every call a page makes goes through the same checks as an API call
(``archivist.service.authorized``): any role reads, member or admin writes, and
records of entities the user cannot read are left out or shown as placeholders. The
role in a registry, which decides the registry pages' controls, is the API's too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request

from archivist.core.accounts import ADMIN, WRITE_ROLES
from archivist.core.errors import AuthenticationError
from archivist.core.registries import ORGANIZATION
from archivist.server.state import ServerState
from archivist.service.accounts import Principal, authenticate, principal_named, role_in
from archivist.service.authorization import Access
from archivist.service.authorized import AuthorizedService

if TYPE_CHECKING:  # the UI is an optional extra: imported only when it is mounted
    from archivist.server.ui.ui_backend import UiBackend


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

    def is_entity_admin(user: UiUser, entity: str) -> bool:
        return user.is_admin or role(user, entity) == ADMIN

    def registry_role(user: UiUser, registry: str | None) -> str | None:
        """As the API decides it (``Access``); None: the role creating a registry needs."""
        found = principal(user)
        if found is None:
            return None
        access = Access(state.engine, found)
        return access.role(ORGANIZATION) if registry is None else access.registry_role(registry)

    def backend_for_request(request: Request, user: UiUser) -> UiBackend:
        """Every call of a page is checked and redacted for its user, as an API call is."""
        found = principal(user)
        if found is None:
            raise AuthenticationError(f"user {user.name!r} no longer exists on this server; log in again")
        return AuthorizedService(state.service, Access(state.engine, found))

    auth = KeyUiAuth(resolve_key, can_write, registry_role=registry_role, is_entity_admin=is_entity_admin)
    mount_ui(app, backend_for_request, auth, state.public_message)
    return True
