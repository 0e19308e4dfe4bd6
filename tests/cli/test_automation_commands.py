"""``archivist webhook`` and ``archivist automation``: a webhook and an automation made on
the command line deliver a signed request when ``artifact put`` adds the alias; history,
disable and enable, redelivery and the worker."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Invoke
from tests.fixtures.webhook_receiver import Receiver

SECRET = "cli-secret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(SECRET).start()
    yield running
    running.stop()


def _ok(invoke: Invoke, *args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output + (result.stderr if result.stderr_bytes else "")
    return result.output


def _settled_history(invoke: Invoke, automation: str) -> list[dict[str, Any]]:
    """``automation history --json`` once no delivery is pending: the dispatcher records the
    answer just after the receiver has it."""
    deadline = time.monotonic() + 20
    while True:
        history = json.loads(_ok(invoke, "automation", "history", automation, "--json"))
        if not any(d["status"] == "PENDING" for d in history):
            return history
        assert time.monotonic() < deadline, history
        time.sleep(0.05)


def test_a_cli_made_automation_delivers_and_shows_its_history(
    invoke: Invoke, receiver: Receiver, tmp_path: Path
) -> None:
    entity = json.loads(
        _ok(
            invoke,
            "webhook",
            "create",
            "hook",
            receiver.url,
            "--signing-secret",
            SECRET,
            "--secret",
            "TEAM=ml",
            "--json",
        )
    )["entity"]
    assert "cli-secret" not in _ok(invoke, "webhook", "ls", "--json") and "TEAM" in _ok(
        invoke, "webhook", "ls"
    )
    _ok(
        invoke,
        "automation",
        "create",
        "ship",
        "--event",
        "add_artifact_alias",
        "--scope",
        f"{entity}/proj",
        "--webhook",
        "hook",
        "--filter",
        '{"field": "alias", "op": "eq", "value": "gold"}',
        "--payload",
        '{"version": "${artifact_version_string}", "team": "$TEAM"}',
    )
    listed = _ok(invoke, "automation", "ls")
    assert "ship" in listed and "ADD_ARTIFACT_ALIAS" in listed and "hook" in listed
    data = tmp_path / "data.txt"
    data.write_text("hello")
    _ok(invoke, "artifact", "put", str(data), "--name", "proj/ds", "--alias", "gold")
    [got] = receiver.wait_for(1)
    assert got.signed and got.body == {"version": f"{entity}/proj/ds:gold", "team": "ml"}
    [delivery] = _settled_history(invoke, "ship")
    assert delivery["id"] == got.delivery and delivery["status"] == "FINISHED"
    assert got.delivery in _ok(invoke, "automation", "history", "ship")
    _ok(invoke, "automation", "disable", "ship")
    _ok(invoke, "artifact", "put", str(data), "--name", "proj/other", "--alias", "gold")
    assert len(json.loads(_ok(invoke, "automation", "history", "ship", "--json"))) == 1
    _ok(invoke, "automation", "enable", "ship")
    _ok(invoke, "automation", "redeliver", got.delivery)
    again = receiver.wait_for(2)
    assert [item.delivery for item in again] == [got.delivery, got.delivery]
    assert "200 in" in _ok(invoke, "webhook", "test", "hook")


def test_bad_automation_options_are_usage_errors(invoke: Invoke) -> None:
    result = invoke("automation", "create", "x", "--event", "created", "--scope", "a")
    assert result.exit_code == 2 and "--event" in result.output + result.stderr
    result = invoke("automation", "create", "x", "--event", "create_artifact", "--scope", "a//b")
    assert result.exit_code == 2 and "a//b" in result.output + result.stderr
    result = invoke("automation", "history", "absent")
    assert result.exit_code != 0 and "'absent'" in result.output + result.stderr


@pytest.mark.embedded_only("the worker without --db serves the embedded store; servers deliver their own")
def test_the_worker_delivers_what_a_process_left(
    cli_env: dict[str, str], invoke: Invoke, receiver: Receiver
) -> None:
    from archivist.core.automations import Action, ActionType, EventType, NewAutomation, scope_for
    from archivist.core.settings import Settings
    from archivist.service.embedded import LocalBackend
    from tests.client.artifact_logging import log_text

    backend = LocalBackend(Settings.from_env(cli_env))
    backend.dispatcher = None  # a process that died before it delivered
    backend.create_webhook("local", "hook", receiver.url, signing_secret=SECRET)
    action = Action(ActionType.GENERIC_WEBHOOK, "hook")
    backend.create_automation(
        NewAutomation("each", scope_for("local", "proj"), EventType.CREATE_ARTIFACT, action)
    )
    log_text(backend, "left", "x", entity="local", project="proj")
    backend.close()
    assert receiver.received == []
    assert "Made 1 delivery attempts" in _ok(invoke, "automation", "worker", "--once")
    [got] = receiver.wait_for(1)
    assert got.signed and got.body["artifact_collection_name"] == "left"
