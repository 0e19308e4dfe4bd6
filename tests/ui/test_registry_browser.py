"""The registry pages and the "Link to registry" action in Chromium: on ``archivist ui`` over
an embedded store of this module (the local user may do everything), and on ``archivist
server`` where a member of the organization links and unlinks and a viewer sees no edit
controls and is refused when forging them. Screenshots land in test-output/screenshots/."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.backend import Backend
from archivist.core.registries import ORGANIZATION
from archivist.core.settings import Settings
from archivist.service.embedded import LocalBackend
from tests.client.artifact_logging import log_text
from tests.fixtures.archivist_server import ADMIN_KEY, archivist_server
from tests.fixtures.servers import free_port, running
from tests.ui.browser import VIEWPORT, ConsoleProblems, screenshot
from tests.ui.pages import csrf_token
from tests.ui.sample_data import child_env

PROJECT = "promo"
REFUSED = "Failed to load resource: the server responded with a status of"
"""Chromium's console line for a page answered with an error status (a refusal's page)."""


@pytest.fixture
def refusing_page(chromium: Any) -> Iterator[Page]:
    """A browser tab like ``page`` whose refused forms answer with an error page (4xx): the
    console line of that status is expected, any other problem fails the test."""
    context = chromium.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    problems = ConsoleProblems(tab)
    try:
        yield tab
    finally:
        context.close()
    unexpected = [m for m in problems.messages if REFUSED not in m]
    assert unexpected == [], "\n".join(unexpected)


def _models(backend: Backend, entity: str) -> None:
    """clf v0 and v1 (models) and eval-set v0 (a dataset) in ``entity/promo``."""
    for text in ("weights 0", "weights 1"):
        log_text(backend, "clf", text, type_name="model", entity=entity, project=PROJECT)
    log_text(backend, "eval-set", "rows", entity=entity, project=PROJECT)


@pytest.fixture(scope="module")
def embedded_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``archivist ui`` over a store holding clf v0, v1 and eval-set v0, and a registry
    accepting every type whose collection 'mixed' holds datasets."""
    home = tmp_path_factory.mktemp("registry-ui") / "home"
    env = child_env(home)
    backend = LocalBackend(Settings.from_env(env))
    try:
        _models(backend, "local")
        backend.create_registry("anything", "organization", allow_all_artifact_types=True)
        dataset = backend.resolve_version("local", PROJECT, "eval-set", "v0")
        backend.link_version(dataset.id, "anything", "mixed")
    finally:
        backend.close()
    port = free_port()
    command = [sys.executable, "-m", "archivist", "ui", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, port, env=env, log=home.parent / "ui.log"):
        yield f"http://127.0.0.1:{port}"


def _link_from_version_page(page: Page, registry: str, collection: str, aliases: str) -> None:
    page.locator("#link-to-registry summary").click()
    page.get_by_label("Registry", exact=True).select_option(registry)
    page.get_by_label("Collection", exact=True).fill(collection)
    page.get_by_label("Aliases", exact=True).fill(aliases)
    page.locator("#link-to-registry button[type=submit]").click()


def test_create_a_registry_from_the_registries_page(refusing_page: Page, embedded_ui: str) -> None:
    page = refusing_page
    page.goto(f"{embedded_ui}/ui/")
    page.get_by_role("link", name="Registries", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("Registries")
    rows = page.locator("#registries tbody")
    expect(rows).to_contain_text("model")
    expect(rows).to_contain_text("dataset")
    page.locator("#create-registry summary").click()
    screenshot(page, "registries")
    page.get_by_label("Registry name").fill("Golden Sets")
    page.get_by_label("Visibility").select_option("restricted")
    page.get_by_label("Accepted types").fill("dataset")
    page.get_by_label("Description (Markdown)").fill("Curated **evaluation** sets")
    page.get_by_role("button", name="Create registry").click()
    expect(page.locator("h1")).to_contain_text("Golden Sets")
    expect(page.locator(".sub")).to_contain_text("restricted · accepts dataset")
    expect(page.locator("#registry-description strong")).to_have_text("evaluation")
    expect(page.locator("#registry-collections")).to_contain_text("No collections yet")
    page.goto(f"{embedded_ui}/ui/registries")
    page.locator("#create-registry summary").click()
    page.get_by_label("Registry name").fill("Golden Sets")
    page.get_by_role("button", name="Create registry").click()
    expect(page.locator(".error .message")).to_contain_text("Golden Sets")  # it exists


def test_link_promote_and_unlink_through_the_pages(page: Page, embedded_ui: str) -> None:
    collection = f"Promo Clf {uuid.uuid4().hex[:6]}"
    page.goto(f"{embedded_ui}/ui/artifacts/local/{PROJECT}/clf/v0")
    expect(page.locator("#link-to-registry select option")).to_have_text(["anything", "model"])
    _link_from_version_page(page, "model", collection, "staging")
    expect(page.locator("h1")).to_have_text(f"organization/wandb-registry-model/{collection}:v0")
    expect(page.locator("#link-source")).to_have_text(f"local/{PROJECT}/clf:v0")
    expect(page.locator("#aliases")).to_contain_text("staging")
    expect(page.locator("#link-to-registry")).to_have_count(0)  # a link is not linked again
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name=collection).click()

    expect(page.locator("h1")).to_contain_text(collection)
    page.locator("#link-new-version summary").click()
    page.get_by_label("Version to link").fill(f"local/{PROJECT}/clf:v1")
    page.get_by_label("Aliases").fill("production")
    page.get_by_role("button", name="Link", exact=True).click()
    links = page.locator("#links tbody tr")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_contain_text("v1")
    expect(links.nth(0)).to_contain_text("production")
    expect(links.nth(0).locator("a.source")).to_have_text(f"local/{PROJECT}/clf:v1")
    expect(links.nth(1)).to_contain_text("staging")
    screenshot(page, "registry-collection")

    page.get_by_role("link", name="model", exact=True).first.click()
    row = page.locator("#registry-collections tr", has_text=collection)
    expect(row).to_contain_text("model")
    expect(row.locator("td.num")).to_have_text("2")
    expect(row).to_contain_text("v1")
    screenshot(page, "registry")
    row.get_by_role("link", name=collection).click()

    page.get_by_role("button", name="Unlink v0").click()
    expect(page.locator("#links tbody tr")).to_have_count(1)
    expect(page.locator("#links")).not_to_contain_text("staging")
    page.locator("#links").get_by_role("link", name="v1", exact=True).click()
    expect(page.locator("#link-source")).to_have_text(f"local/{PROJECT}/clf:v1")


def test_a_wrong_type_is_refused_with_a_readable_message(refusing_page: Page, embedded_ui: str) -> None:
    page = refusing_page
    page.goto(f"{embedded_ui}/ui/artifacts/local/{PROJECT}/clf/v1")
    _link_from_version_page(page, "anything", "mixed", "")
    message = page.locator(".error .message")
    expect(message).to_contain_text("'dataset'")
    expect(message).to_contain_text("'model'")
    page.goto(f"{embedded_ui}/ui/artifacts/local/{PROJECT}/eval-set/v0")
    offered = set(page.locator("#link-to-registry select option").all_text_contents())
    assert {"anything", "dataset"} <= offered and "model" not in offered


@dataclass
class OnServer:
    url: str
    team: str
    keys: dict[str, str]
    """'member': writes in the team and the organization; 'viewer': a viewer of the team only."""


@pytest.fixture(scope="module")
def on_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnServer]:
    root = tmp_path_factory.mktemp("registry-server")
    with archivist_server(f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log") as server:
        with closing(AdminClient(server.url, ADMIN_KEY)) as admin:
            team = f"team-{uuid.uuid4().hex[:6]}"
            admin.create_team(team)
            keys = {}
            for role in ("member", "viewer"):
                created = admin.create_user(f"{role}-{uuid.uuid4().hex[:6]}")
                admin.set_member(team, created.user.name, role)
                if role == "member":
                    admin.set_member(ORGANIZATION, created.user.name, "member")
                keys[role] = created.key.key
        with closing(HttpBackend(server.url, keys["member"])) as member:
            _models(member, team)
            source = member.resolve_version(team, PROJECT, "clf", "v0")
            member.link_version(source.id, "model", "Served", ["production"])
        yield OnServer(server.url, team, keys)


def _log_in(page: Page, server: OnServer, role: str, target: str) -> None:
    page.goto(f"{server.url}{target}")
    page.get_by_label("API key").fill(server.keys[role])
    page.get_by_role("button", name="Log in").click()


def test_on_the_server_a_viewer_sees_no_registry_edit_controls(page: Page, on_server: OnServer) -> None:
    _log_in(page, on_server, "viewer", "/ui/registries")
    expect(page.locator("h1")).to_have_text("Registries")
    expect(page.locator("#create-registry")).to_have_count(0)
    page.get_by_role("link", name="model", exact=True).click()
    page.get_by_role("link", name="Served", exact=True).click()
    expect(page.locator("#links")).to_contain_text("production")
    for control in ("form.unlink", "#link-new-version"):
        expect(page.locator(control)).to_have_count(0)
    page.locator("#links").get_by_role("link", name="v0", exact=True).click()
    expect(page.locator("#link-source")).to_have_text(f"{on_server.team}/{PROJECT}/clf:v0")
    for control in ("#add-alias", "button.remove", "#edit-description"):
        expect(page.locator(control)).to_have_count(0)
    page.goto(f"{on_server.url}/ui/artifacts/{on_server.team}/{PROJECT}/clf/v1")
    expect(page.locator("h1")).to_contain_text("clf:v1")
    expect(page.locator("#link-to-registry")).to_have_count(0)
    screenshot(page, "registry-viewer")


def test_on_the_server_a_viewers_forged_forms_are_refused(on_server: OnServer) -> None:
    with httpx.Client(base_url=on_server.url, timeout=30) as http:
        login = http.get("/ui/login")
        token = csrf_token(login.text)
        assert (
            http.post(
                "/ui/login", data={"api_key": on_server.keys["viewer"], "csrf_token": token}
            ).status_code
            == 303
        )
        served = "/ui/registries/model/Served"
        unlink = http.post(f"{served}/v0/unlink", data={"csrf_token": token})
        assert unlink.status_code == 403 and "need member or admin" in unlink.text
        link = http.post(
            f"/ui/artifacts/{on_server.team}/{PROJECT}/clf/v1/link",
            data={"registry": "model", "collection": "Served", "aliases": "", "csrf_token": token},
        )
        assert link.status_code == 403
        alias = http.post(
            f"/ui/artifacts/{ORGANIZATION}/wandb-registry-model/Served/v0/aliases",
            data={"action": "add", "value": "mine", "csrf_token": token},
        )
        assert alias.status_code == 403
        create = http.post(
            "/ui/registries", data={"name": "forged", "visibility": "organization", "csrf_token": token}
        )
        assert create.status_code == 403
        page = http.get(served)
        assert page.status_code == 200 and page.text.count('data-version="') == 1  # nothing changed


def test_on_the_server_a_member_links_from_the_version_page_and_unlinks(
    page: Page, on_server: OnServer
) -> None:
    _log_in(page, on_server, "member", f"/ui/artifacts/{on_server.team}/{PROJECT}/clf/v1")
    expect(page.locator("h1")).to_contain_text("clf:v1")
    expect(page.locator("#link-to-registry select option")).to_have_text(["model"])
    _link_from_version_page(page, "model", "Served", "candidate")
    expect(page.locator("h1")).to_have_text(f"{ORGANIZATION}/wandb-registry-model/Served:v1")
    expect(page.locator("#add-alias")).to_have_count(1)  # a member of the registry moves aliases
    page.goto(f"{on_server.url}/ui/registries/model/{quote('Served')}")
    expect(page.locator("#links tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Unlink v1").click()
    expect(page.locator("#links tbody tr")).to_have_count(1)
    page.goto(f"{on_server.url}/ui/registries")
    expect(page.locator("#create-registry")).to_have_count(0)  # creating one needs admin
