"""Logging in with an API key, and out. Both forms carry the CSRF token, so
another site can neither log the browser out nor into an account of its own."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from archivist.server.ui import urls
from archivist.server.ui.state import FormFields, UiState, form_fields, route_class


def safe_next(target: str | None) -> str:
    """Only a path inside the UI: never another site (``//host``, ``https:...``)."""
    if target and target.startswith(urls.PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return urls.home_url()


def auth_routes(ui: UiState) -> APIRouter:
    router = APIRouter(route_class=route_class(ui))

    @router.get("/login")
    def login_form(request: Request, next: str = "") -> Response:
        if not ui.auth.uses_login:
            return RedirectResponse(safe_next(next), status_code=303)
        return ui.render(request, "login.html", next=safe_next(next), failed=False)

    @router.post("/login")
    def log_in(request: Request, fields: FormFields) -> Response:
        target = safe_next(fields.get("next"))
        response = RedirectResponse(target, status_code=303)
        user = ui.auth.log_in(request, response, fields.get("api_key", ""))
        if user is None:
            return ui.render(request, "login.html", status=401, next=target, failed=True)
        return response

    @router.post("/logout", dependencies=[Depends(form_fields)])
    def log_out(request: Request) -> Response:
        response = RedirectResponse(
            urls.login_url() if ui.auth.uses_login else urls.home_url(), status_code=303
        )
        ui.auth.log_out(request, response)
        return response

    return router
