"""The app behind ``archivist ui``: the web UI over the embedded store, for one
person on this machine. There is no key check in this mode (LocalUiAuth), so it
belongs on loopback only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse

from archivist.server.ui import LocalUiAuth, UiUser, mount_ui
from archivist.server.ui.ui_backend import UiBackend
from archivist.server.ui.urls import home_url


def create_local_ui_app(backend: UiBackend) -> FastAPI:
    """A FastAPI app serving the UI over ``backend``; it closes the backend on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        backend.close()

    app = FastAPI(title="Archivist UI", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    def backend_for_request(request: Request, user: UiUser) -> UiBackend:
        return backend

    mount_ui(app, backend_for_request, LocalUiAuth(backend.default_entity()))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(home_url(), status_code=307)

    return app
