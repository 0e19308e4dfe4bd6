"""Automations across server processes over one PostgreSQL database: a delivery committed
before a server was SIGKILLed is sent after a restart, two replicas deliver each event
exactly once between them, and a server refuses webhooks of private addresses unless its
operator allows them."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.client.http import HttpBackend
from archivist.core.automations import Action, ActionType, DeliveryStatus, EventType, NewAutomation, scope_for
from archivist.core.errors import PermissionDeniedError
from tests.client.artifact_logging import ENTITY, PROJECT, log_text
from tests.fixtures.archivist_server import (
    ADMIN_KEY,
    launch_server,
    stop_server,
    wait_until_healthy,
)
from tests.fixtures.webhook_receiver import Receiver
from tests.metadata.postgres import temporary_database
from tests.server.conftest import WEBHOOK_HOST

SECRET = "replica-secret"
ENV = {
    "ARCHIVIST_ALLOW_PRIVATE_WEBHOOKS": "1",
    "ARCHIVIST_DELIVERY_BACKOFF": "0.1",
    "ARCHIVIST_DELIVERY_LEASE": "3",
    "ARCHIVIST_AUTOMATION_RATE": "off",  # a burst of EVENTS goes out at once
}


@pytest.fixture
def database() -> Iterator[str]:
    with temporary_database() as url:
        yield url


def _automate(backend: HttpBackend, url: str) -> None:
    backend.create_webhook(ENTITY, "hook", url, signing_secret=SECRET)
    action = Action(ActionType.GENERIC_WEBHOOK, "hook", {"version": "${artifact_version_string}"})
    backend.create_automation(
        NewAutomation("each", scope_for(ENTITY, PROJECT), EventType.CREATE_ARTIFACT, action)
    )


def test_a_delivery_committed_before_a_sigkill_is_sent_after_the_restart(
    database: str, tmp_path: Path
) -> None:
    receiver = Receiver(SECRET).start()
    receiver.stop()  # down: the first server cannot deliver before it dies
    first = wait_until_healthy(launch_server(database, tmp_path / "blobs", tmp_path / "first.log", env=ENV))
    backend = HttpBackend(first.url, ADMIN_KEY)
    _automate(backend, receiver.url)
    log_text(backend, "ds", "committed before the kill")
    backend.close()
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    receiver.start()
    second = wait_until_healthy(launch_server(database, tmp_path / "blobs", tmp_path / "second.log", env=ENV))
    try:
        [got] = receiver.wait_for(1, timeout=30)
        assert got.signed and got.body == {"version": f"{ENTITY}/{PROJECT}/ds:v0"}
        backend = HttpBackend(second.url, ADMIN_KEY)
        deadline = time.monotonic() + 10
        while (history := backend.automation_history(ENTITY, "each"))[
            0
        ].status is not DeliveryStatus.FINISHED:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert history[0].id == got.delivery and history[0].attempts[-1].status_code == 200
        assert all(
            a.status_code is None for a in history[0].attempts[:-1]
        )  # the first server's refused tries
    finally:
        stop_server(second)
        receiver.stop()


EVENTS = 200


def test_two_replicas_deliver_each_event_once(database: str, tmp_path: Path) -> None:
    servers = [
        launch_server(database, tmp_path / "blobs", tmp_path / f"replica-{i}.log", env=ENV) for i in range(2)
    ]
    receiver = Receiver(SECRET).start()
    try:
        for server in servers:
            wait_until_healthy(server)
        clients = [HttpBackend(server.url, ADMIN_KEY) for server in servers]
        _automate(clients[0], receiver.url)

        def log_through(client: HttpBackend, first: int) -> None:
            for number in range(first, EVENTS, 2):
                log_text(client, f"ds-{number}", "x")

        threads = [threading.Thread(target=log_through, args=(client, i)) for i, client in enumerate(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        receiver.wait_for(EVENTS, timeout=60)
        time.sleep(1.5)  # a second delivery of any of them would arrive by now
        per_delivery = Counter(item.delivery for item in receiver.received)
        assert len(per_delivery) == EVENTS and set(per_delivery.values()) == {1}
        assert all(item.signed for item in receiver.received)
        assert sorted(item.body["version"] for item in receiver.received) == sorted(
            f"{ENTITY}/{PROJECT}/ds-{n}:v0" for n in range(EVENTS)
        )
    finally:
        for server in servers:
            stop_server(server)
        receiver.stop()


def test_a_server_holds_deliveries_over_its_automation_rate(database: str, tmp_path: Path) -> None:
    env = {**ENV, "ARCHIVIST_AUTOMATION_RATE": "2/3s"}
    server = wait_until_healthy(launch_server(database, tmp_path / "blobs", tmp_path / "rate.log", env=env))
    receiver = Receiver(SECRET).start()
    try:
        backend = HttpBackend(server.url, ADMIN_KEY)
        _automate(backend, receiver.url)
        for number in range(4):
            log_text(backend, f"ds-{number}", "x")
        assert len(receiver.wait_for(2, timeout=10)) == 2
        time.sleep(0.5)
        history = backend.automation_history(ENTITY, "each")
        held = [d for d in history if d.status is DeliveryStatus.PENDING]
        assert len(receiver.received) == 2 and len(held) == 2
        assert all(
            d.hold_reason and "rate limit of this automation (2 per 3s)" in d.hold_reason for d in held
        )
        assert len(receiver.wait_for(4, timeout=15)) == 4
    finally:
        stop_server(server)
        receiver.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_a_server_refuses_webhooks_of_private_addresses(admin_backend: HttpBackend, url: str) -> None:
    with pytest.raises(PermissionDeniedError, match="non-public address"):
        admin_backend.create_webhook(ENTITY, "internal", url)
    assert "internal" not in [hook.name for hook in admin_backend.list_webhooks(ENTITY)]
    allowed = admin_backend.create_webhook(
        ENTITY, f"allowed-{abs(hash(url))}", f"http://{WEBHOOK_HOST}:9/hook"
    )
    assert allowed.url.startswith(
        f"http://{WEBHOOK_HOST}"
    )  # the operator's allow-list (ARCHIVIST_WEBHOOK_ALLOW)
