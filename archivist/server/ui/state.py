"""What every UI route shares: the templates, the auth, the UiBackend of the request,
the manifest cache; and the route class that turns errors into HTML pages and
adds the security headers (CSP with ``script-src 'self'``, no framing, no sniffing)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from archivist.core.accounts import ADMIN, WRITE_ROLES
from archivist.core.errors import ArchivistError, InvalidInputError, PermissionDeniedError
from archivist.core.registries import ORGANIZATION, registry_of_project
from archivist.server.ui import csrf, urls
from archivist.server.ui.auth import UiAuth, UiUser
from archivist.server.ui.manifests import ManifestCache
from archivist.server.ui.rendering import build_environment
from archivist.server.ui.table_files import TableCache
from archivist.server.ui.ui_backend import UiBackend

BackendForRequest = Callable[[Request, UiUser], UiBackend]
"""Gives the UiBackend that serves one request for one user. The UI never closes it."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
MAX_FORM_BYTES = 256 * 1024


class LoginRequired(Exception):
    """Nobody is logged in; the browser is sent to the login page."""


class CsrfRejected(PermissionDeniedError):
    """A form arrived without the browser's CSRF token (another site may have sent it)."""

    code = "csrf_rejected"


@dataclass(frozen=True)
class Page:
    """One request's user and UiBackend."""

    request: Request
    user: UiUser
    backend: UiBackend


def _unchanged(message: str) -> str:
    return message


@dataclass
class UiState:
    backend_for_request: BackendForRequest
    auth: UiAuth
    templates: Environment = field(default_factory=build_environment)
    manifests: ManifestCache = field(default_factory=ManifestCache)
    tables: TableCache = field(default_factory=TableCache)
    public_message: Callable[[str], str] = _unchanged
    """What an error page may say of an error's message (a server takes its paths out)."""

    def page(self, request: Request) -> Page:
        user = self.auth.current_user(request)
        if user is None:
            raise LoginRequired()
        request.state.ui_user = user
        return Page(request, user, self.backend_for_request(request, user))

    def can_write(self, page: Page, entity: str, project: str | None = None) -> bool:
        """Whether the user may edit in ``entity`` (in a registry's project: in the registry)."""
        registry = registry_of_project(project) if entity == ORGANIZATION else None
        if registry is not None:
            return self.can_write_registry(page, registry)
        return self.auth.can_write(page.user, entity)

    def can_set_ttl(self, page: Page, entity: str, project: str | None = None) -> bool:
        """Whether the user may set TTLs in ``entity``: a writer, and its admin when the team
        lets admins only (SPEC §6; the service ignores a TTL from anyone else)."""
        if not self.can_write(page, entity, project):
            return False
        return (
            self.auth.is_entity_admin(page.user, entity) or page.backend.get_ttl_editors(entity) == "members"
        )

    def require_write(self, page: Page, entity: str, project: str | None = None) -> None:
        if not self.can_write(page, entity, project):
            raise PermissionDeniedError(
                f"user {page.user.name!r} may not change entity {entity!r}: viewers can only read"
            )

    def registry_role(self, page: Page, registry: str | None) -> str | None:
        """The user's role in ``registry`` (None: in a registry about to be created)."""
        return self.auth.registry_role(page.user, registry)

    def can_write_registry(self, page: Page, registry: str) -> bool:
        """Link, unlink and move aliases (member or admin of the registry)."""
        return self.registry_role(page, registry) in WRITE_ROLES

    def can_create_registry(self, page: Page) -> bool:
        return self.registry_role(page, None) == ADMIN

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        user = getattr(request.state, "ui_user", None)
        html = self.templates.get_template(template).render(
            user=user,
            uses_login=self.auth.uses_login,
            csrf_token=csrf.csrf_token(request),
            csrf_field=csrf.CSRF_FIELD,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def error_page(self, request: Request, error: ArchivistError) -> HTMLResponse:
        message = self.public_message(error.message)
        return self.render(request, "error.html", status=error.status, error=error, message=message)


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form, after checking its CSRF token (``CsrfRejected`` if wrong)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInputError(f"the form is {len(body)} bytes long; at most {MAX_FORM_BYTES} are accepted")
    fields = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    if not csrf.is_valid(request, fields.get(csrf.CSRF_FIELD)):
        raise CsrfRejected(
            "the form was refused: its CSRF token is missing or does not match this browser's; "
            "reload the page and try again"
        )
    return fields


FormFields = Annotated[dict[str, str], Depends(form_fields)]
"""A route parameter holding a POSTed form whose CSRF token was checked."""
PageNumber = Annotated[int, Query(alias="page")]
"""The ``?page=`` of a paged list (1-based)."""


def route_class(ui: UiState) -> type[APIRoute]:
    """An APIRoute whose responses are HTML pages, also for errors, with security headers."""

    class UiRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                try:
                    response = await handler(request)
                except LoginRequired:
                    target = urls.with_query(urls.login_url(), next=_path_with_query(request))
                    response = RedirectResponse(target, status_code=303)
                except ArchivistError as error:
                    response = ui.error_page(request, error)
                except RequestValidationError as error:
                    response = ui.error_page(request, InvalidInputError(_validation_message(error)))
                csrf.remember_new_token(request, response)
                _add_headers(response.headers, SECURITY_HEADERS)
                return response

            return handle

    return UiRoute


def _add_headers(headers: Any, extra: Mapping[str, str]) -> None:
    for name, value in extra.items():
        if name not in headers:
            headers[name] = value


def _path_with_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _validation_message(error: RequestValidationError) -> str:
    problems = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in error.errors()]
    return "invalid request: " + "; ".join(problems)
