"""A registry's access settings on its page: protected aliases with their promotion rules,
and its members with their roles. Only the registry's admins see and may post these forms
(``UiState.registry_role``, the API's rule on a server); the UiBackend checks each call
again, as API calls are, so a forged post is refused either way."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archivist.core.accounts import ADMIN
from archivist.core.errors import PermissionDeniedError
from archivist.server.ui import urls
from archivist.server.ui.registry_views import split_aliases
from archivist.server.ui.state import FormFields, Page, UiState, route_class


def is_registry_admin(ui: UiState, page: Page, registry: str) -> bool:
    """Whether the user may protect aliases and manage members of ``registry``."""
    return ui.registry_role(page, registry) == ADMIN


def _require_registry_admin(ui: UiState, page: Page, registry: str) -> str:
    """The registry's name, once the user is known to be its admin."""
    record = page.backend.get_registry(registry)
    if not is_registry_admin(ui, page, record.name):
        role = ui.registry_role(page, record.name) or "no role"
        raise PermissionDeniedError(
            f"user {page.user.name!r} has {role} in registry {record.name!r}: protecting aliases "
            "and managing members need admin"
        )
    return record.name


def _back(registry: str, section: str) -> RedirectResponse:
    return RedirectResponse(f"{urls.registry_url(registry)}#{section}", status_code=303)


def registry_access_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    @router.post("/registries/{name}/protected-aliases")
    def protect(request: Request, name: str, fields: FormFields) -> Response:
        page = ui.page(request)
        registry = _require_registry_admin(ui, page, name)
        rule = fields.get("rule", "").strip() or None
        page.backend.protect_alias(registry, fields.get("alias", "").strip(), rule)
        return _back(registry, "protected-aliases")

    @router.post("/registries/{name}/protected-aliases/{alias}/remove")
    def unprotect(request: Request, name: str, alias: str, fields: FormFields) -> Response:
        page = ui.page(request)
        registry = _require_registry_admin(ui, page, name)
        page.backend.unprotect_alias(registry, alias)
        return _back(registry, "protected-aliases")

    @router.post("/registries/{name}/members")
    def add_members(request: Request, name: str, fields: FormFields) -> Response:
        page = ui.page(request)
        registry = _require_registry_admin(ui, page, name)
        page.backend.add_registry_members(
            registry, split_aliases(fields.get("members", "")), fields.get("role", "")
        )
        return _back(registry, "registry-members")

    @router.post("/registries/{name}/members/{member}/role")
    def change_role(request: Request, name: str, member: str, fields: FormFields) -> Response:
        page = ui.page(request)
        registry = _require_registry_admin(ui, page, name)
        page.backend.update_registry_member(registry, member, fields.get("role", ""))
        return _back(registry, "registry-members")

    @router.post("/registries/{name}/members/{member}/remove")
    def remove_member(request: Request, name: str, member: str, fields: FormFields) -> Response:
        page = ui.page(request)
        registry = _require_registry_admin(ui, page, name)
        page.backend.remove_registry_members(registry, [member])
        return _back(registry, "registry-members")

    return router
