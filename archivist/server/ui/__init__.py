"""The web UI: server-rendered pages to browse artifacts and explore lineage.

Mount it on any FastAPI app::

    from archivist.server.ui import KeyUiAuth, mount_ui

    mount_ui(app, backend_for_request, KeyUiAuth(resolve_key, can_write))

- ``backend_for_request(request, user) -> Backend`` gives the Backend that serves
  one request for one logged-in :class:`UiUser` (the UI reads and writes only
  through the Backend protocol and never closes it).
- ``auth`` is a :class:`UiAuth`: :class:`LocalUiAuth` for the embedded store on
  loopback (no key, everyone may write), or :class:`KeyUiAuth` built on two
  callables of the server:

  - ``resolve_key(api_key) -> (user_name, is_admin) | None``, called on every
    request with the key kept in the HttpOnly, SameSite=Strict cookie
    ``archivist_ui_key`` (path ``/ui``), so a revoked key logs the browser out;
  - ``can_write(user: UiUser, entity) -> bool``: False for viewers, who then see
    no edit controls and whose edits are refused with 403;
  - optionally ``registry_role(user, registry) -> role | None``, the role that decides
    the registry pages' controls (by default it follows ``can_write`` on the
    organization).

Pages live under ``/ui`` (``/ui/`` redirects to the default entity's projects),
static files under ``/ui/static``. Every page is sent with a Content-Security-Policy
allowing scripts from ``'self'`` only; every POST form carries a CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from archivist.server.ui.auth import KeyUiAuth, LocalUiAuth, UiAuth, UiUser
from archivist.server.ui.rendering import STATIC_DIR
from archivist.server.ui.routes_auth import auth_routes
from archivist.server.ui.routes_browse import browse_routes
from archivist.server.ui.routes_compare import compare_routes
from archivist.server.ui.routes_files import files_routes
from archivist.server.ui.routes_lifecycle import lifecycle_routes
from archivist.server.ui.routes_lineage import lineage_routes
from archivist.server.ui.routes_registry import registry_routes
from archivist.server.ui.routes_runs import runs_routes
from archivist.server.ui.routes_version import version_routes
from archivist.server.ui.state import BackendForRequest, UiState
from archivist.server.ui.urls import PREFIX

__all__ = ["BackendForRequest", "KeyUiAuth", "LocalUiAuth", "UiAuth", "UiUser", "mount_ui"]


def mount_ui(
    app: FastAPI,
    backend_for_request: BackendForRequest,
    auth: UiAuth,
    public_message: Callable[[str], str] | None = None,
) -> None:
    """Add the UI's pages under ``/ui`` and its static files under ``/ui/static``;
    ``public_message`` rewrites error messages before a page shows them."""
    ui = UiState(backend_for_request=backend_for_request, auth=auth)
    if public_message is not None:
        ui.public_message = public_message
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="ui-static")
    # compare before the version routes: '/compare' would otherwise read as a version selector;
    # registries before them too: a version's '/link' action is not one of its edited fields
    for routes in (
        auth_routes,
        browse_routes,
        compare_routes,
        lifecycle_routes,
        registry_routes,
        version_routes,
        files_routes,
        lineage_routes,
        runs_routes,
    ):
        app.include_router(routes(ui), prefix=PREFIX, include_in_schema=False)
