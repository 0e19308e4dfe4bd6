"""Who is calling, and may they? Every API route depends on ``caller``.

``Authorization: Bearer <key>`` names the user (401 ``unauthenticated``
without a live key). Routes then ask the ``Caller`` for the right they need on
an entity: reading (any role), writing (member or admin), managing (admin), or
server administration -- 403 ``permission_denied`` otherwise, naming the user,
the entity and the role needed.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from archivist.core.accounts import ADMIN, WRITE_ROLES
from archivist.core.errors import AuthenticationError, PermissionDeniedError
from archivist.metadata.engine import read_transaction
from archivist.metadata.schema import collections, entities, projects, versions
from archivist.server.state import ServerState
from archivist.service.accounts import Principal, authenticate, role_in
from archivist.service.service import Service

_bearer = HTTPBearer(auto_error=False, description="An Archivist API key: Authorization: Bearer <key>")


class Caller:
    """The user of one request and the service they may use.

    The key is checked on first use -- of ``principal``, ``service`` or ``state`` --
    inside the route's worker thread, so a request costs one thread hop, not two.
    """

    def __init__(self, request: Request, key: str) -> None:
        self._request = request
        self._key = key
        self._principal: Principal | None = None
        self._roles: dict[str, str | None] = {}

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            self._principal = _authenticate(self._request, self._key)
        return self._principal

    @property
    def state(self) -> ServerState:
        self.principal  # noqa: B018 -- nothing is handed out before the key is checked
        return self._request.app.state.archivist

    @property
    def service(self) -> Service:
        return self.state.service

    def role(self, entity: str) -> str | None:
        if entity not in self._roles:
            self._roles[entity] = role_in(self.state.engine, self.principal, entity)
        return self._roles[entity]

    def require_read(self, entity: str) -> None:
        if self.role(entity) is None:
            raise PermissionDeniedError(
                f"user {self.principal.name!r} has no role in entity {entity!r}; "
                "an admin can add them with 'archivist team add'"
            )

    def require_write(self, entity: str) -> None:
        self._require_role(entity, WRITE_ROLES, "writing needs member or admin")

    def require_manage(self, entity: str) -> None:
        self._require_role(entity, {ADMIN}, "managing it needs admin")

    def _require_role(self, entity: str, allowed: Collection[str], needed: str) -> None:
        self.require_read(entity)
        role = self.role(entity)
        if role not in allowed:
            raise PermissionDeniedError(
                f"user {self.principal.name!r} is a {role} of entity {entity!r}; {needed}"
            )

    def require_server_admin(self, action: str) -> None:
        if not self.principal.is_admin:
            raise PermissionDeniedError(
                f"user {self.principal.name!r} may not {action}: that needs a server administrator"
            )

    def require_version(self, version_id: str, write: bool = False) -> None:
        """Check the right on the entity holding a version; an unknown id is left for
        the service to report, exactly as the embedded store does."""
        entity = self._version_entity(version_id)
        if entity is not None:
            (self.require_write if write else self.require_read)(entity)

    def require_node(self, node_id: str) -> None:
        """A lineage root: a version id or a run path ``entity/project/run_id``."""
        if "/" in node_id:
            self.require_read(node_id.split("/", 1)[0])
        else:
            self.require_version(node_id)

    def _version_entity(self, version_id: str) -> str | None:
        if self.principal.is_admin or not (version_id.isascii() and version_id.isdigit()):
            return None
        if len(version_id) > 18:
            return None
        statement = (
            select(entities.c.name)
            .select_from(versions)
            .join(collections, collections.c.id == versions.c.collection_id)
            .join(projects, projects.c.id == collections.c.project_id)
            .join(entities, entities.c.id == projects.c.entity_id)
            .where(versions.c.id == int(version_id))
        )
        with read_transaction(self.state.engine) as connection:
            return connection.execute(statement).scalar()


async def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    """The request's caller. A missing key is refused at once (before the body is read);
    the key itself is looked up when the route first needs it, in the route's thread."""
    if credentials is None:
        raise AuthenticationError(
            "this server needs an API key: send 'Authorization: Bearer <key>' "
            "(set ARCHIVIST_API_KEY or run 'archivist login URL')"
        )
    return Caller(request, credentials.credentials)


Who = Annotated[Caller, Depends(caller)]
"""The parameter type of every API route: ``who: Who``."""


def _authenticate(request: Request, key: str) -> Principal:
    state: ServerState = request.app.state.archivist
    principal = authenticate(state.engine, key)
    if principal is None:
        raise AuthenticationError(
            "the API key sent is not valid on this server (unknown or revoked); ask an admin for a key"
        )
    request.state.user = principal.name
    return principal
