"""The Automations tab in Chromium, on ``archivist ui`` over a store of its own: create an
automation with the form, add the alias it waits for on the version page, and read the
delivery (and its attempt) in the history; the UI process itself delivered it to a real
receiver that verified the signature."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from archivist.core.settings import Settings
from archivist.service.embedded import LocalBackend
from tests.client.artifact_logging import log_text
from tests.fixtures.servers import free_port, running
from tests.fixtures.webhook_receiver import Receiver
from tests.ui.browser import screenshot
from tests.ui.sample_data import child_env

SECRET = "ui-secret"
PROJECT = "hooks"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running_receiver = Receiver(SECRET).start()
    yield running_receiver
    running_receiver.stop()


@pytest.fixture(scope="module")
def automation_ui(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[str]:
    home = tmp_path_factory.mktemp("automation-ui") / "home"
    backend = LocalBackend(Settings.from_env({"ARCHIVIST_DIR": str(home)}))
    log_text(backend, "model", "weights", entity="local", project=PROJECT, metadata={"acc": 0.9})
    backend.create_webhook("local", "deploy", receiver.url, signing_secret=SECRET)
    backend.close()
    port = free_port()
    command = [sys.executable, "-m", "archivist", "ui", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, port, env=child_env(home), log=home.parent / "ui.log"):
        yield f"http://127.0.0.1:{port}"


def test_create_an_automation_and_read_its_history(
    page: Page, automation_ui: str, receiver: Receiver
) -> None:
    page.goto(f"{automation_ui}/ui/projects/local/{PROJECT}")
    page.locator("#automations-tab").click()
    expect(page.locator("h1")).to_have_text("Automations")
    expect(page.locator(".empty")).to_contain_text("No automations")
    form = page.locator("#new-automation")
    form.locator("input[name=name]").fill("ship-production")
    form.locator("select[name=event]").select_option("ADD_ARTIFACT_ALIAS")
    form.locator("select[name=filter_op]").select_option("eq")
    form.locator("input[name=filter_value]").fill("production")
    form.locator("select[name=webhook]").select_option("deploy")
    form.locator("textarea[name=payload]").fill(
        '{"model": "${artifact_version_string}", "acc": "${artifact_metadata.acc}"}'
    )
    form.get_by_role("button", name="Create").click()
    expect(page.locator("#automations")).to_contain_text("ship-production")
    expect(page.locator("#automations")).to_contain_text("ADD_ARTIFACT_ALIAS")
    expect(page.locator("#automations")).to_contain_text("webhook deploy")
    screenshot(page, "automations")

    page.goto(f"{automation_ui}/ui/artifacts/local/{PROJECT}/model/v0")
    page.get_by_label("New alias").fill("production")
    page.get_by_role("button", name="Add alias").click()
    expect(page.locator("#aliases")).to_contain_text("production")
    [got] = receiver.wait_for(1)
    assert got.signed and got.body == {"model": f"local/{PROJECT}/model:production", "acc": 0.9}

    page.goto(f"{automation_ui}/ui/automations/local/{PROJECT}")
    page.get_by_role("link", name="ship-production").click()
    history = page.locator("#history")
    expect(history).to_contain_text("ADD_ARTIFACT_ALIAS")
    expect(history).to_contain_text(got.delivery)
    expect(history).to_contain_text("FINISHED")
    expect(history).to_contain_text("HTTP 200")
    screenshot(page, "automation-history")


def test_a_bad_form_is_answered_with_its_message(automation_ui: str) -> None:
    with httpx.Client(base_url=automation_ui) as client:
        page = client.get(f"/ui/automations/local/{PROJECT}").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        fields = {
            "csrf_token": token.group(1),
            "name": "broken",
            "event": "ADD_ARTIFACT_ALIAS",
            "filter_field": "alias",
            "filter_op": "regex",
            "filter_value": "(",
            "webhook": "",
        }
        answer = client.post(f"/ui/automations/local/{PROJECT}", data=fields)
        assert answer.status_code == 400 and "invalid regex" in answer.text
        answer = client.post(
            f"/ui/automations/local/{PROJECT}", data={**fields, "event": "NOPE", "filter_value": ""}
        )
        assert answer.status_code == 400 and "unknown event &#39;NOPE&#39;" in answer.text
        assert "broken" not in client.get(f"/ui/automations/local/{PROJECT}").text
        assert client.get(f"/ui/automations/local/{PROJECT}/history/absent").status_code == 404
