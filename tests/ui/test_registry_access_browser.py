"""Protected aliases, promotion rules, members and the history on the registry pages, in
Chromium: on ``archivist ui`` (the local user is admin of every registry) an admin protects
an alias with a rule, a promotion the rule refuses shows the failing comparison, the admin's
override succeeds and appears in the history, and the as-of lookup travels back; on
``archivist server`` a registry admin manages members, a member cannot move a protected
alias, and a viewer sees no protect or members controls and has forged posts refused.
Screenshots land in test-output/screenshots/."""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

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
RULE = "metadata.accuracy >= 0.9"
REFUSED = "Failed to load resource: the server responded with a status of"
"""Chromium's console line for a page answered with an error status (a refusal's page)."""


@pytest.fixture
def refusing_page(chromium: Any) -> Iterator[Page]:
    """A browser tab whose refused forms answer with an error status: the console line of
    that status is expected, any other problem fails the test."""
    context = chromium.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    problems = ConsoleProblems(tab)
    try:
        yield tab
    finally:
        context.close()
    unexpected = [m for m in problems.messages if REFUSED not in m]
    assert unexpected == [], "\n".join(unexpected)


def _link_models(backend: Backend, entity: str, registry: str) -> None:
    """clf v0 (accuracy 0.8) and v1 (accuracy 0.95) in ``entity/promo``, linked into the
    registry's collection 'clf' as its v0 and v1."""
    for index, accuracy in enumerate((0.8, 0.95)):
        log_text(
            backend,
            "clf",
            f"weights {index}",
            type_name="model",
            entity=entity,
            project=PROJECT,
            metadata={"accuracy": accuracy},
        )
        source = backend.resolve_version(entity, PROJECT, "clf", f"v{index}")
        backend.link_version(source.id, registry, "clf")


@pytest.fixture(scope="module")
def embedded_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``archivist ui`` over a store whose registry 'gated' holds clf v0 and v1."""
    home = tmp_path_factory.mktemp("registry-access-ui") / "home"
    env = child_env(home)
    backend = LocalBackend(Settings.from_env(env))
    try:
        backend.create_registry("gated", "organization", artifact_types=["model"])
        _link_models(backend, "local", "gated")
    finally:
        backend.close()
    port = free_port()
    command = [sys.executable, "-m", "archivist", "ui", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, port, env=env, log=home.parent / "ui.log"):
        yield f"http://127.0.0.1:{port}"


def _set_alias(page: Page, version: str, alias: str) -> None:
    page.locator("#set-alias summary").click()
    page.get_by_label("Linked version").select_option(version)
    page.get_by_label("Alias to set").fill(alias)
    page.get_by_role("button", name="Set alias").click()


def test_protect_refuse_override_and_travel_back(refusing_page: Page, embedded_ui: str) -> None:
    page = refusing_page
    page.goto(f"{embedded_ui}/ui/registries/gated")
    expect(page.locator("#protected-table")).to_contain_text("No protected aliases")
    page.locator("#protect-alias summary").click()
    page.get_by_label("Alias to protect").fill("production")
    page.get_by_label("Promotion rule").fill(RULE)
    page.get_by_role("button", name="Protect alias").click()
    row = page.locator("#protected-table tr[data-alias=production]")
    expect(row.locator("code.rule")).to_have_text(RULE)
    expect(row.locator("[aria-label=protected]")).to_have_count(1)
    screenshot(page, "registry-protected-aliases")

    page.get_by_role("link", name="clf", exact=True).first.click()
    _set_alias(page, "v1", "production")  # passes the rule
    first_move = dt.datetime.now(dt.timezone.utc).isoformat()
    v1 = page.locator("#links tr[data-version=v1]")
    expect(v1.locator(".chip.alias.protected")).to_contain_text("production")  # with its lock

    _set_alias(page, "v0", "production")  # fails it
    refusal = page.locator("#promotion-refused")
    expect(refusal.locator(".message")).to_contain_text(f"fails the promotion rule '{RULE}'")
    expect(refusal.locator(".message")).to_contain_text("metadata.accuracy is 0.8")
    expect(page.locator("#links tr[data-version=v1]")).to_contain_text("production")  # unchanged
    screenshot(page, "registry-promotion-refused")
    refusal.get_by_label("Override reason").fill("hotfix for the outage")
    refusal.get_by_role("button", name="Override the rule: give v0 production").click()
    expect(page.locator("#promotion-refused")).to_have_count(0)
    expect(page.locator("#links tr[data-version=v0]")).to_contain_text("production")
    expect(page.locator("#links tr[data-version=v1]")).not_to_contain_text("production")

    history = page.locator("#history tbody tr")
    expect(history.nth(0)).to_have_attribute("data-event", "OVERRIDE_PROMOTION_RULE")
    expect(history.nth(0)).to_contain_text("rule overridden")
    expect(history.nth(0)).to_contain_text("hotfix for the outage")
    expect(history.nth(1)).to_contain_text("alias set")
    expect(page.locator("#history tr[data-event=ADD_PROTECTED_ALIAS]")).to_contain_text(RULE)
    screenshot(page, "registry-collection-history")
    page.get_by_label("History of alias").fill("latest")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#history tbody tr").first).to_contain_text("latest")
    expect(page.locator("#history")).not_to_contain_text("rule overridden")

    page.get_by_label("Version or alias").fill("production")
    page.get_by_label("As of").fill(first_move)
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator("h1")).to_have_text(f"{ORGANIZATION}/wandb-registry-gated/clf:v1")

    page.goto(f"{embedded_ui}/ui/registries/gated/clf")  # the version page's alias form too
    _set_alias(page, "v1", "production")
    page.locator("#links").get_by_role("link", name="v0", exact=True).click()
    page.get_by_label("New alias").fill("production")
    page.get_by_role("button", name="Add alias").click()
    expect(page.locator("#promotion-refused .message")).to_contain_text("metadata.accuracy is 0.8")
    expect(page.locator("#aliases")).not_to_contain_text("production")
    page.get_by_label("Override reason").fill("roll back")
    page.get_by_role("button", name="Override the rule: give v0 production").click()
    expect(page.locator("#promotion-refused")).to_have_count(0)
    expect(page.locator("#aliases")).to_contain_text("production")

    page.goto(f"{embedded_ui}/ui/registries/gated")
    page.get_by_role("button", name="Unprotect production").click()
    expect(page.locator("#protected-table")).to_contain_text("No protected aliases")


@dataclass
class OnServer:
    url: str
    keys: dict[str, str]
    """'admin': the registry's admin; 'member': its member; 'viewer': a user of the
    organization without a role of the registry's own (reads it)."""
    names: dict[str, str]


@pytest.fixture(scope="module")
def on_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnServer]:
    root = tmp_path_factory.mktemp("registry-access-server")
    with archivist_server(f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log") as server:
        keys, names = {}, {}
        with closing(AdminClient(server.url, ADMIN_KEY)) as admin:
            team = f"team-{uuid.uuid4().hex[:6]}"
            admin.create_team(team)
            for role in ("admin", "member", "viewer", "other"):
                created = admin.create_user(f"{role}-{uuid.uuid4().hex[:6]}")
                admin.set_member(team, created.user.name, "member" if role != "viewer" else "viewer")
                keys[role], names[role] = created.key.key, created.user.name
            names["team"] = team
        with closing(HttpBackend(server.url, ADMIN_KEY)) as server_admin:
            server_admin.create_registry("gated", "organization", artifact_types=["model"])
            server_admin.add_registry_members("gated", [names["admin"]], "admin")
            server_admin.add_registry_members("gated", [names["member"]], "member")
            _link_models(server_admin, team, "gated")
            server_admin.protect_alias("gated", "production", RULE)
        yield OnServer(server.url, keys, names)


def _log_in(page: Page, server: OnServer, role: str, target: str) -> None:
    page.goto(f"{server.url}{target}")
    page.get_by_label("API key").fill(server.keys[role])
    page.get_by_role("button", name="Log in").click()


ADMIN_CONTROLS = (
    "#protect-alias",
    "form.unprotect",
    "#add-members",
    "form.member-role",
    "form.remove-member",
)


def test_on_the_server_a_registry_admin_manages_members(page: Page, on_server: OnServer) -> None:
    _log_in(page, on_server, "admin", "/ui/registries/gated")
    expect(page.locator("h1")).to_contain_text("gated")
    for control in ADMIN_CONTROLS:
        expect(page.locator(control)).not_to_have_count(0)
    other, team = on_server.names["other"], on_server.names["team"]
    page.locator("#add-members summary").click()
    page.get_by_label("Users or teams").fill(f"{other}, {team}")
    page.get_by_label("Role of the new members").select_option("viewer")
    page.get_by_role("button", name="Add members").click()
    expect(page.locator(f"#members-table tr[data-member='{team}']")).to_contain_text("team")
    row = page.locator(f"#members-table tr[data-member='{other}']")
    expect(row.get_by_label(f"Role of {other}", exact=True)).to_have_value("viewer")
    row.get_by_label(f"Role of {other}", exact=True).select_option("member")
    row.get_by_role("button", name=f"Change the role of {other}").click()
    row = page.locator(f"#members-table tr[data-member='{other}']")
    expect(row.get_by_label(f"Role of {other}", exact=True)).to_have_value("member")
    screenshot(page, "registry-members")
    row.get_by_role("button", name=f"Remove {other}").click()
    expect(page.locator(f"#members-table tr[data-member='{other}']")).to_have_count(0)
    expect(page.locator(f"#members-table tr[data-member='{team}']")).to_have_count(1)


def test_on_the_server_a_member_cannot_move_a_protected_alias(
    refusing_page: Page, on_server: OnServer
) -> None:
    page = refusing_page
    _log_in(page, on_server, "member", "/ui/registries/gated")
    expect(page.locator("#protected-table")).to_contain_text(RULE)
    for control in ADMIN_CONTROLS:
        expect(page.locator(control)).to_have_count(0)
    page.get_by_role("link", name="clf", exact=True).first.click()
    expect(page.get_by_label("Override reason")).to_have_count(0)  # only admins override
    _set_alias(page, "v1", "production")
    message = page.locator(".error .message")
    expect(message).to_contain_text("production")
    expect(message).to_contain_text("admin")
    page.goto(f"{on_server.url}/ui/registries/gated/clf")
    expect(page.locator("#links")).not_to_contain_text("production")
    _set_alias(page, "v1", "candidate")  # an ordinary alias: members move it
    expect(page.locator("#links tr[data-version=v1]")).to_contain_text("candidate")
    expect(page.locator("#history tbody tr").first).to_contain_text("candidate")
    expect(page.locator("#history tbody tr").first).to_contain_text(on_server.names["member"])


def test_on_the_server_a_viewer_sees_no_protect_or_member_controls(page: Page, on_server: OnServer) -> None:
    _log_in(page, on_server, "viewer", "/ui/registries/gated")
    expect(page.locator("#protected-table")).to_contain_text(RULE)
    expect(page.locator("#members-table")).to_contain_text(on_server.names["member"])
    for control in ADMIN_CONTROLS:
        expect(page.locator(control)).to_have_count(0)
    page.get_by_role("link", name="clf", exact=True).first.click()
    expect(page.locator("#history")).to_contain_text("alias protected")
    for control in ("#set-alias", "#link-new-version", "form.unlink"):
        expect(page.locator(control)).to_have_count(0)
    screenshot(page, "registry-collection-viewer")


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_on_the_server_forged_admin_posts_are_refused(on_server: OnServer, role: str) -> None:
    with httpx.Client(base_url=on_server.url, timeout=30) as http:
        token = csrf_token(http.get("/ui/login").text)
        login = http.post("/ui/login", data={"api_key": on_server.keys[role], "csrf_token": token})
        assert login.status_code == 303
        base = "/ui/registries/gated"
        forged = {
            f"{base}/protected-aliases": {"alias": "staging", "rule": ""},
            f"{base}/protected-aliases/production/remove": {},
            f"{base}/members": {"members": on_server.names["other"], "role": "admin"},
            f"{base}/members/{on_server.names['member']}/role": {"role": "admin"},
            f"{base}/members/{on_server.names['admin']}/remove": {},
        }
        for url, data in forged.items():
            answer = http.post(url, data={**data, "csrf_token": token})
            assert answer.status_code == 403, (url, answer.status_code)
            assert "need admin" in answer.text or "needs admin" in answer.text, answer.text
        override = http.post(
            f"{base}/clf/alias",
            data={"version": "v0", "alias": "production", "override_reason": "mine", "csrf_token": token},
        )
        assert override.status_code == 403
        page = http.get(f"{base}/clf").text
        assert "production" not in page.split('id="links"')[1].split("</table>")[0]
    with closing(HttpBackend(on_server.url, ADMIN_KEY)) as server_admin:
        registry = server_admin.get_registry("gated")
        assert [(p.alias, p.rule) for p in registry.protected_aliases] == [("production", RULE)]
        roles = {m.name: m.role for m in server_admin.list_registry_members("gated")}
        assert roles[on_server.names["admin"]] == "admin" and roles[on_server.names["member"]] == "member"
        assert on_server.names["other"] not in roles
