"""Session fixtures of the UI tests: one sample store (built through the SDK), the
``archivist ui`` command serving it on a loopback port, and an app with
KeyUiAuth over the same store served by uvicorn in a thread."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from archivist.core.backend import Backend
from archivist.core.settings import Settings
from archivist.server.ui import KeyUiAuth, UiUser, mount_ui
from archivist.service.embedded import LocalBackend
from tests.fixtures.servers import free_port, running
from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, ConsoleProblems
from tests.ui.live_server import serving
from tests.ui.sample_data import ENTITY, SampleStore, build_sample_store, child_env

WRITER_KEY = "key-of-the-writer-0123456789"
VIEWER_KEY = "key-of-the-viewer-0123456789"
ADMIN_KEY = "key-of-the-admin-0123456789"


@dataclass
class KeyServer:
    url: str
    keys: dict[str, tuple[str, bool]]
    """The key table the app resolves keys against; tests may revoke keys by deleting them."""
    writers: dict[str, set[str]]
    """user -> entities the user may write to."""


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleStore:
    return build_sample_store(tmp_path_factory.mktemp("ui-sample"))


@pytest.fixture(scope="session")
def local_ui(sample: SampleStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``archivist ui`` (LocalUiAuth) over the sample store; yields its base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("ui-log") / "archivist-ui.log"
    command = [sys.executable, "-m", "archivist", "ui", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, port, env=child_env(sample.home), log=log):
        yield f"http://127.0.0.1:{port}"


def key_ui_app(backend: Backend, keys: dict[str, tuple[str, bool]], writers: dict[str, set[str]]) -> FastAPI:
    """An app like the server's: the UI with KeyUiAuth over ``backend`` and two plain callables."""

    def resolve_key(key: str) -> tuple[str, bool] | None:
        return keys.get(key)

    def can_write(user: UiUser, entity: str) -> bool:
        return user.is_admin or entity in writers.get(user.name, set())

    def backend_for_request(request: Request, user: UiUser) -> Backend:
        return backend

    app = FastAPI()
    mount_ui(app, backend_for_request, KeyUiAuth(resolve_key, can_write))
    return app


@pytest.fixture(scope="session")
def key_ui(sample: SampleStore) -> Iterator[KeyServer]:
    keys = {WRITER_KEY: ("wendy", False), VIEWER_KEY: ("victor", False), ADMIN_KEY: ("ada", True)}
    writers = {"wendy": {ENTITY}}
    environ = {
        "ARCHIVIST_DIR": str(sample.home),
        "ARCHIVIST_CACHE_DIR": str(sample.home.parent / "key-ui-cache"),
    }
    backend = LocalBackend(Settings.from_env(environ))
    try:
        with serving(key_ui_app(backend, keys, writers)) as url:
            yield KeyServer(url, keys, writers)
    finally:
        backend.close()


@pytest.fixture
def client(local_ui: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_ui, timeout=30) as http:
        yield http


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never ``playwright install``)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install it with 'apt-get update && apt-get install -y chromium'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    """A fresh browser context (no cookies); the test fails on any page or console error."""
    context = chromium.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
    tab = context.new_page()
    problems = ConsoleProblems(tab)
    try:
        yield tab
    finally:
        context.close()
    assert problems.messages == [], "\n".join(problems.messages)
