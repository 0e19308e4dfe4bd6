"""The History section of a collection page, in Chromium: alias moves made on the version
pages appear newest first, filter by alias, and "as of" opens the version an alias named
then (``archivist ui`` over the sample store)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from playwright.sync_api import Page, expect

from archivist.core.settings import Settings
from archivist.service.embedded import LocalBackend
from tests.client.artifact_logging import log_text
from tests.ui.browser import screenshot
from tests.ui.sample_data import PROJECT, SampleStore


def _collection(sample: SampleStore) -> str:
    name = f"history-{uuid.uuid4().hex[:6]}"
    environ = {
        "ARCHIVIST_DIR": str(sample.home),
        "ARCHIVIST_CACHE_DIR": str(sample.home.parent / "history-cache"),
    }
    backend = LocalBackend(Settings.from_env(environ))
    try:
        for text in ("first", "second"):
            log_text(backend, name, text, entity="local", project=PROJECT)
    finally:
        backend.close()
    return name


def _promote(page: Page, version_url: str) -> None:
    page.goto(version_url)
    page.get_by_label("New alias").fill("production")
    page.get_by_role("button", name="Add alias").click()
    expect(page.locator("#aliases")).to_contain_text("production")


def test_history_lists_moves_and_as_of_opens_the_version_then(
    page: Page, local_ui: str, sample: SampleStore
) -> None:
    name = _collection(sample)
    collection_url = f"{local_ui}/ui/artifacts/local/{PROJECT}/{name}"
    _promote(page, f"{collection_url}/v0")
    between = dt.datetime.now(dt.timezone.utc).isoformat()
    _promote(page, f"{collection_url}/v1")

    page.goto(collection_url)
    rows = page.locator("#history tbody tr")
    expect(rows.first).to_have_attribute("data-event", "ADD_ARTIFACT_ALIAS")
    expect(rows.first).to_contain_text("production")
    expect(rows.first.locator("td").nth(3)).to_have_text("v1")
    expect(rows.first.locator("td").nth(4)).to_have_text("v0")
    expect(rows.first.locator("td").nth(5)).to_have_text("local")
    expect(page.locator("#history tr[data-event=CREATE_ARTIFACT]")).to_have_count(2)
    screenshot(page, "collection-history")

    page.get_by_label("History of alias").fill("production")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("v0")

    page.get_by_label("Version or alias").fill("production")
    page.get_by_label("As of").fill(between)
    page.get_by_role("button", name="Go").click()
    expect(page.locator("h1")).to_have_text(f"local/{PROJECT}/{name}:v0")


def test_as_of_before_the_alias_existed_is_a_page_that_says_so(
    client: httpx.Client, sample: SampleStore
) -> None:
    name = _collection(sample)
    answer = client.get(
        f"/ui/artifacts/local/{PROJECT}/{name}", params={"q": "latest", "as_of": "2001-01-01"}
    )
    assert answer.status_code == 404
    assert "no version held &#39;latest&#39;; it was first set at" in answer.text
    bad = client.get(f"/ui/artifacts/local/{PROJECT}/{name}", params={"q": "latest", "as_of": "soon"})
    assert bad.status_code == 400 and "is not a time" in bad.text
    page = client.get(f"/ui/artifacts/local/{PROJECT}/{name}", params={"history_before": "x"})
    assert page.status_code == 400 and "invalid history_before" in page.text
