"""In Chromium, on a store of its own: edit a version's TTL policy (custom days, deactivate,
inherit), set a collection's retention rule, and restore a deleted version from the
collection page's "Deleted versions" list."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from archivist.core.settings import Settings
from archivist.service.embedded import LocalBackend
from tests.client.artifact_logging import log_text
from tests.fixtures.servers import free_port, running
from tests.ui.browser import screenshot
from tests.ui.sample_data import child_env

ZOO = "/ui/artifacts/local/zoo/cats"


@pytest.fixture
def lifecycle_ui(tmp_path: Path) -> Iterator[str]:
    """``archivist ui`` over a store with zoo/cats v0..v2, v0 deleted."""
    home = tmp_path / "home"
    backend = LocalBackend(Settings(home=str(home), cache_dir=str(tmp_path / "cache")))
    versions = [
        log_text(backend, "cats", f"cat {i}", entity="local", project="zoo").version for i in range(3)
    ]
    backend.delete_version(versions[0].id)
    backend.set_default_ttl("local", 7 * 86400)
    backend.close()
    port = free_port()
    command = [sys.executable, "-m", "archivist", "ui", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, port, env=child_env(home), log=tmp_path / "ui.log"):
        yield f"http://127.0.0.1:{port}"


def test_edit_ttl_policy_on_the_version_page(page: Page, lifecycle_ui: str) -> None:
    page.goto(f"{lifecycle_ui}{ZOO}/v1")
    expect(page.locator("#ttl")).to_contain_text("7 days")
    expect(page.locator("#ttl")).to_contain_text("(team default)")
    page.locator("#edit-ttl summary").click()
    page.get_by_label("TTL in days").fill("3")
    page.get_by_role("button", name="Save TTL").click()
    expect(page.locator("#ttl")).to_contain_text("3 days")
    expect(page.locator("#ttl")).not_to_contain_text("team default")
    screenshot(page, "version-ttl")
    page.locator("#edit-ttl summary").click()
    page.get_by_label("Deactivate").check()
    page.get_by_role("button", name="Save TTL").click()
    expect(page.locator("#ttl")).to_have_text("none")
    page.locator("#edit-ttl summary").click()
    page.get_by_label("Inherit the team default").check()
    page.get_by_role("button", name="Save TTL").click()
    expect(page.locator("#ttl")).to_contain_text("7 days")
    page.goto(f"{lifecycle_ui}{ZOO}")
    expect(page.locator("table.versions thead")).to_contain_text("Time to Live")
    expect(page.locator("table.versions tbody")).to_contain_text("7 days")


def test_restore_a_deleted_version_and_set_retention(page: Page, lifecycle_ui: str) -> None:
    page.goto(f"{lifecycle_ui}{ZOO}")
    expect(page.locator("table.versions tbody tr")).to_have_count(2)
    expect(page.locator("#deleted-versions tbody")).to_contain_text("v0")
    page.locator("#edit-retention summary").click()
    page.get_by_label("Versions to keep").fill("2")
    page.get_by_label("Maximum age in days").fill("30")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#retention")).to_contain_text("the last 2 versions")
    expect(page.locator("#retention")).to_contain_text("30 days")
    screenshot(page, "collection-lifecycle")
    page.get_by_role("button", name="Restore v0").click()
    expect(page.locator("h1")).to_have_text("local/zoo/cats:v0")
    page.goto(f"{lifecycle_ui}{ZOO}")
    expect(page.locator("table.versions tbody tr")).to_have_count(3)
    expect(page.locator("#deleted-versions")).to_contain_text("No deleted versions")
    page.locator("#edit-retention summary").click()
    page.get_by_role("button", name="Remove rule").click()
    expect(page.locator("#retention")).to_contain_text("No retention rule")
