"""Who is looking at the web UI, and what they may change.

The UI asks a :class:`UiAuth` five things: the current user (``None`` sends the
browser to the login page), whether that user may write to an entity (viewers
see no edit controls and their edits are refused with 403), whether they are its
admin (controls of team settings for admins only), the user's role in a registry
(which registry controls to show), and how to log in with an API key and out again.

- :class:`LocalUiAuth` is for ``archivist ui`` over the embedded store on
  loopback: there is no key, everyone is the local user and may write.
- :class:`KeyUiAuth` is for ``archivist server``: the browser posts an API key
  once; it is kept in an HttpOnly, SameSite=Strict cookie and resolved again on
  every request by the server's ``resolve_key`` callable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from starlette.requests import Request
from starlette.responses import Response

from archivist.core.accounts import ADMIN, MEMBER, VIEWER
from archivist.core.registries import ORGANIZATION
from archivist.core.settings import DEFAULT_ENTITY

KEY_COOKIE = "archivist_ui_key"
COOKIE_PATH = "/ui"
MAX_KEY_LENGTH = 512


@dataclass(frozen=True)
class UiUser:
    name: str
    is_admin: bool = False


@runtime_checkable
class UiAuth(Protocol):
    uses_login: bool
    """Whether the UI shows a login page and a log-out button at all."""

    def current_user(self, request: Request) -> UiUser | None:
        """The user behind the request, or None when nobody is logged in."""
        ...

    def can_write(self, user: UiUser, entity: str) -> bool:
        """Whether ``user`` may edit aliases, tags and descriptions in ``entity``."""
        ...

    def is_entity_admin(self, user: UiUser, entity: str) -> bool:
        """Whether ``user`` is an admin of ``entity`` (or of the server)."""
        ...

    def registry_role(self, user: UiUser, registry: str | None) -> str | None:
        """``user``'s role in ``registry`` (admin, member, viewer, ... or None: no access), as
        the API decides it; ``registry`` None asks for the role that creating one needs
        (the role in the organization)."""
        ...

    def log_in(self, request: Request, response: Response, api_key: str) -> UiUser | None:
        """Check ``api_key``; when valid, remember it on ``response`` and return the user."""
        ...

    def log_out(self, request: Request, response: Response) -> None: ...


class LocalUiAuth:
    """The embedded store on loopback: no key needed, everyone may write."""

    uses_login = False

    def __init__(self, user_name: str = DEFAULT_ENTITY) -> None:
        self.user = UiUser(user_name, is_admin=True)

    def current_user(self, request: Request) -> UiUser | None:
        return self.user

    def can_write(self, user: UiUser, entity: str) -> bool:
        return True

    def is_entity_admin(self, user: UiUser, entity: str) -> bool:
        return True

    def registry_role(self, user: UiUser, registry: str | None) -> str | None:
        return ADMIN  # the local user is admin of every registry of the embedded store

    def log_in(self, request: Request, response: Response, api_key: str) -> UiUser | None:
        return self.user

    def log_out(self, request: Request, response: Response) -> None:
        return None


ResolveKey = Callable[[str], "tuple[str, bool] | None"]
"""``resolve_key(api_key) -> (user_name, is_admin)``, or None for an unknown or revoked key."""

CanWrite = Callable[[UiUser, str], bool]
"""``can_write(user, entity) -> bool``: True for admins and members of the entity."""

IsEntityAdmin = Callable[[UiUser, str], bool]
"""``is_entity_admin(user, entity) -> bool``: True for admins of the entity and of the server."""

RegistryRole = Callable[[UiUser, "str | None"], "str | None"]
"""``registry_role(user, registry) -> role | None`` (see ``UiAuth.registry_role``)."""


class KeyUiAuth:
    """API-key login for the server. The key itself is the session: it lives in an
    HttpOnly cookie (scripts cannot read it), SameSite=Strict (other sites cannot
    make the browser send it), and is resolved on every request, so revoking the
    key ends the session at once."""

    uses_login = True

    def __init__(
        self,
        resolve_key: ResolveKey,
        can_write: CanWrite,
        secure_cookie: bool | None = None,
        registry_role: RegistryRole | None = None,
        is_entity_admin: IsEntityAdmin | None = None,
    ) -> None:
        """``secure_cookie`` None marks the cookie Secure when the request came over https.
        Without ``registry_role`` the role in every registry follows ``can_write`` on the
        organization: admin for server admins, member for its writers, else viewer; without
        ``is_entity_admin`` only server admins are entity admins."""
        self._resolve_key = resolve_key
        self._can_write = can_write
        self._secure_cookie = secure_cookie
        self._registry_role = registry_role
        self._is_entity_admin = is_entity_admin

    def current_user(self, request: Request) -> UiUser | None:
        key = request.cookies.get(KEY_COOKIE)
        return self._resolve(key) if key else None

    def can_write(self, user: UiUser, entity: str) -> bool:
        return bool(self._can_write(user, entity))

    def is_entity_admin(self, user: UiUser, entity: str) -> bool:
        if self._is_entity_admin is not None:
            return bool(self._is_entity_admin(user, entity))
        return user.is_admin

    def registry_role(self, user: UiUser, registry: str | None) -> str | None:
        if self._registry_role is not None:
            return self._registry_role(user, registry)
        if user.is_admin:
            return ADMIN
        return MEMBER if self._can_write(user, ORGANIZATION) else VIEWER

    def log_in(self, request: Request, response: Response, api_key: str) -> UiUser | None:
        key = api_key.strip()
        user = self._resolve(key)
        if user is not None:
            response.set_cookie(
                KEY_COOKIE,
                key,
                httponly=True,
                samesite="strict",
                secure=self._secure(request),
                path=COOKIE_PATH,
            )
        return user

    def log_out(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            KEY_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=self._secure(request)
        )

    def _resolve(self, key: str) -> UiUser | None:
        if not key or len(key) > MAX_KEY_LENGTH:
            return None
        found = self._resolve_key(key)
        if found is None:
            return None
        name, is_admin = found
        return UiUser(name, bool(is_admin))

    def _secure(self, request: Request) -> bool:
        if self._secure_cookie is not None:
            return self._secure_cookie
        return request.url.scheme == "https"
