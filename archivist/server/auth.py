"""Who is calling, and may they? Every API route depends on ``caller``.

``Authorization: Bearer <key>`` names the user (401 ``unauthenticated``
without a live key). A route then makes its call through ``Caller.call(name, ...)``:
the rights ``archivist.core.access`` declares for that call are checked on the bound
arguments (a version's entity is read from the database, after its id was checked to
be canonical), the call runs on the service as this user sees it (blob answers scoped
to what they may read), and the answer is redacted (``archivist.core.redaction``).
No route decides its own permission.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from archivist.core.errors import AuthenticationError
from archivist.server.state import ServerState
from archivist.service.accounts import Principal, authenticate
from archivist.service.authorization import Access
from archivist.service.authorized import AuthorizedService
from archivist.service.service import Service

_bearer = HTTPBearer(auto_error=False, description="An Archivist API key: Authorization: Bearer <key>")


class Caller:
    """The user of one request and the calls they may make.

    The key is checked on first use -- of ``principal``, ``backend`` or ``state`` --
    inside the route's worker thread, so a request costs one thread hop, not two.
    """

    def __init__(self, request: Request, key: str) -> None:
        self._request = request
        self._key = key
        self._principal: Principal | None = None
        self._backend: AuthorizedService | None = None

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            self._principal = _authenticate(self._request, self._key)
        return self._principal

    @property
    def state(self) -> ServerState:
        self.principal  # noqa: B018 -- nothing is handed out before the key is checked
        state: ServerState = self._request.app.state.archivist
        return state

    @property
    def access(self) -> Access:
        return self.backend.access

    @property
    def backend(self) -> AuthorizedService:
        """Every call this user may make, checked against its declaration."""
        if self._backend is None:
            self._backend = AuthorizedService(self.state.service, Access(self.state.engine, self.principal))
        return self._backend

    @property
    def service(self) -> Service:
        """The service as this user sees it (blob presence and reads scoped to them), for a
        route that moves bytes itself after ``require``."""
        return self.backend.service

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Make call ``name`` (a Backend or account call) after checking its declared rights;
        the answer comes back redacted for this user."""
        return self.backend.call(name, *args, **kwargs)

    def require(self, name: str, **arguments: Any) -> ServerState:
        """Check the declared rights of ``name`` for a route that moves bytes itself; returns
        the server's state for it."""
        self.access.require(name, arguments)
        return self.state


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
    """The principal ``RequestGuard`` found for the key before the body was read (looked up
    again only where no guard runs)."""
    found = getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found
    state: ServerState = request.app.state.archivist
    principal = authenticate(state.engine, key)
    if principal is None:
        raise AuthenticationError(
            "the API key sent is not valid on this server (unknown or revoked); ask an admin for a key"
        )
    request.state.user = principal.name
    return principal
