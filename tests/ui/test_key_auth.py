"""KeyUiAuth through a real HTTP app: login with an API key kept in an HttpOnly,
SameSite=Strict cookie; viewers see no edit controls and are refused server-side;
log-out and revoked keys end the session; ``next`` never leaves the UI."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.ui.conftest import ADMIN_KEY, VIEWER_KEY, WRITER_KEY, KeyServer
from tests.ui.pages import csrf_token, get_ok
from tests.ui.sample_data import PROJECT

EDITABLE = f"/ui/artifacts/local/{PROJECT}/editable-key/v0"
EDIT_CONTROLS = ('id="add-alias"', 'id="add-tag"', 'id="edit-description"', 'class="remove"')


@pytest.fixture
def browser(key_ui: KeyServer) -> Iterator[httpx.Client]:
    """A fresh cookie jar: nobody logged in yet."""
    with httpx.Client(base_url=key_ui.url, timeout=30) as http:
        yield http


def log_in(http: httpx.Client, key: str, next_url: str = EDITABLE) -> httpx.Response:
    token = csrf_token(get_ok(http, "/ui/login", next=next_url))
    return http.post("/ui/login", data={"api_key": key, "next": next_url, "csrf_token": token})


def test_pages_send_anonymous_browsers_to_the_login_page(browser: httpx.Client) -> None:
    response = browser.get(EDITABLE, params={"x": "1"})
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == "/ui/login?next=%2Fui%2Fartifacts%2Flocal%2Fvision%2Feditable-key%2Fv0%3Fx%3D1"
    )
    login = get_ok(browser, "/ui/login")
    assert 'type="password" name="api_key"' in login


def test_a_wrong_key_is_refused(browser: httpx.Client) -> None:
    response = log_in(browser, "not-a-key")
    assert response.status_code == 401 and "That API key is not valid." in response.text
    assert "archivist_ui_key" not in browser.cookies
    assert browser.get(EDITABLE).status_code == 303


def test_login_needs_the_csrf_token(browser: httpx.Client) -> None:
    response = browser.post("/ui/login", data={"api_key": WRITER_KEY})
    assert response.status_code == 403
    assert "archivist_ui_key" not in browser.cookies


def test_login_keeps_the_key_in_an_http_only_strict_cookie(browser: httpx.Client) -> None:
    response = log_in(browser, WRITER_KEY)
    assert response.status_code == 303 and response.headers["location"] == EDITABLE
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("archivist_ui_key="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/ui" in lowered
    page = get_ok(browser, EDITABLE)
    assert '<span class="user" title="user">wendy</span>' in page
    assert 'action="/ui/logout"' in page


def test_viewers_see_no_edit_controls_and_are_refused(browser: httpx.Client) -> None:
    log_in(browser, VIEWER_KEY)
    page = get_ok(browser, EDITABLE)
    assert '<span class="user" title="user">victor</span>' in page
    for control in EDIT_CONTROLS:
        assert control not in page
    token = csrf_token(page)  # the log-out form carries one
    for field, data in (
        ("aliases", {"action": "add", "value": "viewer-was-here"}),
        ("tags", {"action": "add", "value": "viewer"}),
        ("description", {"description": "defaced"}),
    ):
        response = browser.post(f"{EDITABLE}/{field}", data={**data, "csrf_token": token})
        assert response.status_code == 403 and "viewers can only read" in response.text
    page = get_ok(browser, EDITABLE)
    assert "viewer-was-here" not in page and "defaced" not in page


@pytest.mark.parametrize(("key", "alias"), [(WRITER_KEY, "by-writer"), (ADMIN_KEY, "by-admin")])
def test_writers_and_admins_edit(browser: httpx.Client, key: str, alias: str) -> None:
    log_in(browser, key)
    page = get_ok(browser, EDITABLE)
    for control in EDIT_CONTROLS[:3]:
        assert control in page
    response = browser.post(
        f"{EDITABLE}/aliases", data={"action": "add", "value": alias, "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    assert f'<span class="chip alias">{alias}</span>' in get_ok(browser, EDITABLE)


def test_log_out_ends_the_session(browser: httpx.Client) -> None:
    log_in(browser, WRITER_KEY)
    page = get_ok(browser, EDITABLE)
    response = browser.post("/ui/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303 and response.headers["location"] == "/ui/login"
    assert any(
        c.startswith('archivist_ui_key=""') or "Max-Age=0" in c
        for c in response.headers.get_list("set-cookie")
    )
    assert browser.get(EDITABLE).status_code == 303


def test_a_revoked_key_ends_the_session(browser: httpx.Client, key_ui: KeyServer) -> None:
    temporary = "temporary-key-0123456789"
    key_ui.keys[temporary] = ("tim", False)
    try:
        log_in(browser, temporary)
        assert browser.get(EDITABLE).status_code == 200
    finally:
        del key_ui.keys[temporary]
    assert browser.get(EDITABLE).status_code == 303


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/ui/", "/elsewhere", "/ui\\..\\x"]
)
def test_login_never_redirects_out_of_the_ui(browser: httpx.Client, target: str) -> None:
    response = log_in(browser, WRITER_KEY, next_url=target)
    assert response.status_code == 303 and response.headers["location"] == "/ui/"


def test_registry_controls_follow_the_organization_without_a_registry_role_callable(
    key_ui: KeyServer,
) -> None:
    """KeyUiAuth built on two callables: admins create registries, writers of the organization
    link, everyone else only reads the registry pages."""
    controls = {
        ADMIN_KEY: ('id="create-registry"', "Unlink"),
        WRITER_KEY: (),
        VIEWER_KEY: (),
    }
    for key, shown in controls.items():
        with httpx.Client(base_url=key_ui.url, timeout=30) as http:
            assert log_in(http, key, "/ui/registries").status_code == 303
            registries = get_ok(http, "/ui/registries")
            served = get_ok(http, "/ui/registries/model/Vision Classifier")
            assert ('id="create-registry"' in registries) == ('id="create-registry"' in shown)
            assert ("Unlink" in served) == ("Unlink" in shown)
            assert "production" in served
    key_ui.writers.setdefault("wendy", set()).add("organization")
    try:
        with httpx.Client(base_url=key_ui.url, timeout=30) as http:
            log_in(http, WRITER_KEY, "/ui/registries")
            assert "Unlink" in get_ok(http, "/ui/registries/model/Vision Classifier")
            assert 'id="create-registry"' not in get_ok(http, "/ui/registries")
    finally:
        key_ui.writers["wendy"].discard("organization")
