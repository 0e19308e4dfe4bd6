"""Injection and forgery: names, descriptions, metadata, aliases, file names and
file contents stay text on every page; POST forms need the browser's CSRF token;
edits are validated; ``archivist ui`` stays on loopback unless told otherwise."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from archivist.cli.ui_command import is_loopback
from tests.ui.pages import csrf_token, embedded_json, get_ok
from tests.ui.sample_data import (
    PROJECT,
    XSS,
    XSS_ALIAS,
    XSS_FILE,
    XSS_IMG,
    XSS_RUN_NAME,
    SampleStore,
    child_env,
)

XSS_VERSION = f"/ui/artifacts/local/{PROJECT}/xss-check/v0"
EDITABLE = f"/ui/artifacts/local/{PROJECT}/editable-http/v0"
RAW_PAYLOADS = ("<script>window.__xss", "<img src=x onerror", 'href="javascript:')


def assert_inert(page: str, url: str) -> None:
    for payload in RAW_PAYLOADS:
        assert payload not in page, f"{url} carries {payload!r} unescaped"


def xss_urls(sample: SampleStore) -> list[tuple[str, dict[str, str]]]:
    run = f"/ui/runs/local/{PROJECT}/{sample.xss_run_id}"
    return [
        (XSS_VERSION, {}),
        (f"{XSS_VERSION}/files", {}),
        (f"{XSS_VERSION}/files/view", {"path": XSS_FILE}),
        (f"{XSS_VERSION}/files/view", {"path": "cells.csv"}),
        (f"{XSS_VERSION}/files/view", {"path": "values.json"}),
        (f"{XSS_VERSION}/lineage", {}),
        (f"/ui/artifacts/local/{PROJECT}/xss-check", {}),
        (f"/ui/projects/local/{PROJECT}", {"q": XSS_ALIAS}),
        (f"/ui/projects/local/{PROJECT}", {"q": XSS}),
        (run, {}),
        (f"{run}/lineage", {}),
        (f"/ui/runs/local/{PROJECT}", {}),
        (f"/ui/artifacts/local/{PROJECT}/compare", {"a": "v0", "b": XSS_IMG}),
    ]


def test_payloads_stay_text_on_every_page(client: httpx.Client, sample: SampleStore) -> None:
    for url, params in xss_urls(sample):
        response = client.get(url, params=params)
        assert response.status_code in (200, 404), f"{url}: {response.status_code}"
        assert_inert(response.text, url)


def test_payloads_are_shown_escaped(client: httpx.Client, sample: SampleStore) -> None:
    page = get_ok(client, XSS_VERSION)
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page  # description and metadata, as text
    assert "&lt;img src=x onerror=window.__xss=6&gt;" in page  # the alias
    assert "[click](javascript:window.__xss=3)" in page  # the javascript: link is not a link
    assert '<a href="https://example.com/" rel="nofollow noopener noreferrer">ok</a>' in page
    run_page = get_ok(client, f"/ui/runs/local/{PROJECT}/{sample.xss_run_id}")
    assert "&lt;script&gt;window.__xss=9&lt;/script&gt;" in run_page and XSS_RUN_NAME not in run_page
    graph = embedded_json(get_ok(client, f"{XSS_VERSION}/lineage"), "lineage-data")
    assert any(n["label"].startswith(XSS_RUN_NAME) for n in graph["nodes"])  # intact once parsed


def test_error_pages_escape_what_the_url_carried(client: httpx.Client) -> None:
    response = client.get(f"/ui/artifacts/local/{PROJECT}/xss-check/{XSS_IMG}")
    assert response.status_code == 404
    assert_inert(response.text, "error page")
    assert "&lt;img src=x onerror=window.__xss=2&gt;" in response.text


def post_edit(client: httpx.Client, field: str, data: dict[str, str]) -> httpx.Response:
    return client.post(f"{EDITABLE}/{field}", data=data)


def fresh_token(client: httpx.Client) -> str:
    return csrf_token(get_ok(client, EDITABLE))


def test_posts_without_the_csrf_token_are_refused(client: httpx.Client) -> None:
    token = fresh_token(client)
    missing = post_edit(client, "aliases", {"action": "add", "value": "forged"})
    wrong = post_edit(client, "aliases", {"action": "add", "value": "forged", "csrf_token": "x" * 43})
    with httpx.Client(base_url=str(client.base_url)) as stranger:  # the token but not the cookie
        no_cookie = post_edit(stranger, "aliases", {"action": "add", "value": "forged", "csrf_token": token})
    for response in (missing, wrong, no_cookie):
        assert response.status_code == 403 and "CSRF token" in response.text
    assert '<span class="chip alias">forged</span>' not in get_ok(client, EDITABLE)


def test_csrf_cookie_is_http_only_and_strict(local_ui: str) -> None:
    with httpx.Client(base_url=local_ui) as fresh:
        cookie = fresh.get(EDITABLE).headers["set-cookie"]
    assert cookie.startswith("archivist_ui_csrf=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/ui" in lowered


def test_edit_aliases_tags_and_description(client: httpx.Client) -> None:
    token = fresh_token(client)
    added = post_edit(client, "aliases", {"action": "add", "value": "best", "csrf_token": token})
    assert added.status_code == 303 and added.headers["location"] == EDITABLE
    post_edit(client, "tags", {"action": "add", "value": "golden set", "csrf_token": token})
    description = f"## Card\n\n{XSS}"
    post_edit(client, "description", {"description": description, "csrf_token": token})
    page = get_ok(client, EDITABLE)
    assert '<span class="chip alias">best</span>' in page
    assert '<span class="chip tag">golden set</span>' in page
    assert "<h2>Card</h2>" in page and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert_inert(page, EDITABLE)
    post_edit(client, "aliases", {"action": "remove", "value": "best", "csrf_token": token})
    post_edit(client, "aliases", {"action": "remove", "value": "latest", "csrf_token": token})
    page = get_ok(client, EDITABLE)
    assert '<span class="chip alias">best</span>' not in page
    assert '<span class="chip alias">latest</span>' in page  # managed by the store


@pytest.mark.parametrize(
    ("field", "data", "message"),
    [
        ("aliases", {"action": "add", "value": "v7"}, "assigned automatically"),
        ("aliases", {"action": "add", "value": "a/b"}, "must not contain"),
        ("aliases", {"action": "add", "value": "  "}, "the value is empty"),
        ("tags", {"action": "add", "value": "bad!tag"}, "invalid tag"),
        ("tags", {"action": "rename", "value": "x"}, "unknown action"),
        ("digest", {"value": "0" * 64}, "invalid request"),
    ],
)
def test_invalid_edits_answer_400_with_the_reason(
    client: httpx.Client, field: str, data: dict[str, str], message: str
) -> None:
    response = post_edit(client, field, {**data, "csrf_token": fresh_token(client)})
    assert response.status_code == 400 and message in response.text


def test_ui_refuses_a_non_loopback_host(sample: SampleStore) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "archivist", "ui", "--host", "0.0.0.0", "--port", "1"],
        env=child_env(sample.home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2  # a usage mistake
    assert "refusing to serve the UI on '0.0.0.0'" in result.stderr and "--allow-remote" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.3.4.5", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("192.168.1.4", False), ("example.com", False), ("::", False)],
)  # fmt: skip
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
