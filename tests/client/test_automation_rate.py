"""A per-automation rate limit (SPEC §8): an in-process dispatcher allowing 3 deliveries per
1.5 s gets a burst of 10 events. None is dropped; no window holds more than 3 arrivals; the
ones over the limit wait in the history as pending with the reason; another automation is
not held back by the first one's burst."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.core.automations import Action, ActionType, DeliveryStatus, EventType, NewAutomation, scope_for
from archivist.core.delivery_rate import DEFAULT_RATE, DeliveryRate, rate_from_text
from archivist.core.errors import InvalidInputError
from archivist.core.settings import Settings
from archivist.server.config import ServerConfig
from archivist.service.dispatch import DeliveryPolicy
from archivist.service.dispatcher import Dispatcher
from archivist.service.embedded import LocalBackend
from tests.client.artifact_logging import ENTITY, PROJECT, log_text
from tests.fixtures.webhook_receiver import Receiver

SECRET = "receiver-secret"
RATE = DeliveryRate(3, 1.5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(SECRET).start()
    yield running
    running.stop()


@pytest.fixture
def local(tmp_path: Path, receiver: Receiver) -> Iterator[LocalBackend]:
    store = LocalBackend(Settings.from_env({"ARCHIVIST_DIR": str(tmp_path / "home")}))
    store.dispatcher = Dispatcher(store.engine, store.urls, DeliveryPolicy(rate=RATE), poll_seconds=0.05)
    store.create_webhook(ENTITY, "hook", receiver.url, signing_secret=SECRET)
    yield store
    store.close()


def _automate(local: LocalBackend, name: str, event: EventType) -> None:
    action = Action(ActionType.GENERIC_WEBHOOK, "hook", {"automation": name, "event": "${event_type}"})
    local.create_automation(NewAutomation(name, scope_for(ENTITY, PROJECT), event, action, {}))


def test_a_burst_over_the_rate_waits_and_is_delivered_in_windows(
    local: LocalBackend, receiver: Receiver
) -> None:
    _automate(local, "burst", EventType.CREATE_ARTIFACT)
    started = time.monotonic()
    for number in range(10):
        log_text(local, f"ds-{number}", "x")
    time.sleep(0.5)
    history = local.automation_history(ENTITY, "burst")
    held = [d for d in history if d.status is DeliveryStatus.PENDING and not d.attempts]
    assert len(history) == 10 and len(held) >= 6
    assert all("rate limit of this automation (3 per 1.5s)" in (d.hold_reason or "") for d in held)
    assert all(d.next_attempt_at is not None for d in held)
    got = receiver.wait_for(10, timeout=30)
    took = time.monotonic() - started
    assert len({item.delivery for item in got}) == 10 and all(item.signed for item in got)
    assert 3 * RATE.window_seconds - 0.2 <= took < 20  # 4 windows: 3 + 3 + 3 + 1
    time.sleep(0.3)
    done = local.automation_history(ENTITY, "burst")
    assert all(d.status is DeliveryStatus.FINISHED and d.hold_reason is None for d in done)
    assert all([a.status_code for a in d.attempts] == [200] for d in done)
    # The limit is on sending: no window holds more than 3 attempts as the dispatcher recorded
    # their start (arrivals at the receiver lag the sends by a loaded machine's latency).
    sent = sorted(dt.datetime.fromisoformat(d.attempts[0].attempted_at).timestamp() for d in done)
    for first, at in enumerate(sent):
        in_window = [later for later in sent[first:] if later < at + RATE.window_seconds - 0.01]
        assert len(in_window) <= RATE.limit, sent


def test_the_limit_is_per_automation(local: LocalBackend, receiver: Receiver) -> None:
    _automate(local, "first", EventType.CREATE_ARTIFACT)
    _automate(local, "second", EventType.CREATE_ARTIFACT)
    for number in range(5):
        log_text(local, f"ds-{number}", "x")
    early = receiver.wait_for(6, timeout=10)
    time.sleep(0.3)  # well inside the first window
    early = list(receiver.received)
    assert sorted(item.body["automation"] for item in early) == ["first"] * 3 + ["second"] * 3
    assert len(receiver.wait_for(10, timeout=20)) == 10


def test_rates_parse_from_text_and_configure_the_server() -> None:
    assert rate_from_text("60/min", "x") == DEFAULT_RATE == DeliveryRate(60, 60.0)
    assert rate_from_text("1000/h", "x") == DeliveryRate(1000, 3600.0)
    assert rate_from_text("3/1.5s", "x") == RATE and rate_from_text("OFF", "x") is None
    for bad in ("", "60", "0/min", "5/0s", "-1/min", "60/week", "1/100000h"):
        with pytest.raises(InvalidInputError, match="ARCHIVIST_AUTOMATION_RATE"):
            rate_from_text(bad, "ARCHIVIST_AUTOMATION_RATE")
    assert ServerConfig.from_env("sqlite://", "file:///x", {}).automation_rate == DEFAULT_RATE
    config = ServerConfig.from_env("sqlite://", "file:///x", {"ARCHIVIST_AUTOMATION_RATE": "10/s"})
    assert config.automation_rate == DeliveryRate(10, 1.0)
    assert DeliveryPolicy().rate == DEFAULT_RATE  # the embedded store's default
