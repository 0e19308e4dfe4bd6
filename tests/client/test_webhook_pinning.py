"""A webhook request goes to the address that was checked (DNS rebinding): an in-process
dispatcher with a resolver this test controls, which answers a public address when the
dispatcher checks and 127.0.0.1 afterwards. The loopback receiver must get nothing."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from archivist.core.automations import (
    Action,
    ActionType,
    DeliveryRecord,
    DeliveryStatus,
    EventType,
    NewAutomation,
    scope_for,
)
from archivist.core.errors import PermissionDeniedError
from archivist.core.settings import Settings
from archivist.service.dispatch import DeliveryPolicy
from archivist.service.dispatcher import Dispatcher
from archivist.service.embedded import LocalBackend
from archivist.service.webhook_urls import UrlPolicy, target_of
from tests.client.artifact_logging import ENTITY, PROJECT, log_text
from tests.fixtures.webhook_receiver import Receiver

SECRET = "receiver-secret"
PUBLIC = "93.184.216.34"
NAME = "rebind.test"


class Rebinder:
    """Answers ``PUBLIC`` for ``NAME`` the first time, 127.0.0.1 after; refuses connections
    to any non-loopback IP (this machine has no network beyond loopback) and records them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lookups = 0
        self.connects: list[tuple[str, int]] = []
        real_resolve, real_connect = socket.getaddrinfo, socket.create_connection

        def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host != NAME:
                return real_resolve(host, port, *args, **kwargs)
            self.lookups += 1
            answer = PUBLIC if self.lookups == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answer, int(port)))]

        def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
            try:
                literal = ipaddress.ip_address(address[0])
            except ValueError:  # a name: resolved by getaddrinfo above
                return real_connect(address, *args, **kwargs)
            if not literal.is_loopback:
                self.connects.append((str(literal), address[1]))
                raise ConnectionRefusedError(f"no route to {literal} from this test")
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        monkeypatch.setattr(socket, "create_connection", connect)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(SECRET).start()
    yield running
    running.stop()


def _store(tmp_path: Path, urls: UrlPolicy) -> LocalBackend:
    local = LocalBackend(Settings.from_env({"ARCHIVIST_DIR": str(tmp_path / "home")}))
    local.dispatcher = Dispatcher(
        local.engine, urls, DeliveryPolicy(backoff_seconds=0.1, max_attempts=3), poll_seconds=0.1
    )
    return local


def _automate(local: LocalBackend, url: str) -> None:
    local.create_webhook(ENTITY, "hook", url, signing_secret=SECRET)
    action = Action(ActionType.GENERIC_WEBHOOK, "hook", {"event": "${event_type}"})
    local.create_automation(
        NewAutomation("each", scope_for(ENTITY, PROJECT), EventType.CREATE_ARTIFACT, action, {})
    )


def _finished(local: LocalBackend) -> DeliveryRecord:
    deadline = time.monotonic() + 20
    while (history := local.automation_history(ENTITY, "each"))[0].status is DeliveryStatus.PENDING:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    [delivery] = history
    return delivery


def test_a_name_rebound_to_loopback_after_the_check_never_reaches_it(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = int(receiver.url.split(":")[2].split("/")[0])
    rebinder = Rebinder(monkeypatch)
    local = _store(tmp_path, UrlPolicy())
    try:
        _automate(local, receiver.url.replace("127.0.0.1", NAME))
        log_text(local, "ds", "x")
        delivery = _finished(local)
    finally:
        local.close()
    assert receiver.received == []
    # one lookup per attempt; the first attempt went to the checked public address itself
    assert rebinder.lookups == 2 and rebinder.connects == [(PUBLIC, port)]
    first, second = delivery.attempts
    assert delivery.status is DeliveryStatus.FAILED
    assert first.status_code is None and "ConnectError" in (first.error or "")
    assert second.status_code is None and "non-public address 127.0.0.1" in (second.error or "")


def test_a_private_url_is_refused_unless_the_operator_allows_it(tmp_path: Path, receiver: Receiver) -> None:
    local = _store(tmp_path, UrlPolicy())
    try:
        _automate(local, receiver.url)
        log_text(local, "ds", "x")
        delivery = _finished(local)
    finally:
        local.close()
    assert receiver.received == [] and delivery.status is DeliveryStatus.FAILED
    [refused] = delivery.attempts
    assert "non-public address 127.0.0.1" in (refused.error or "")

    allowed = _store(tmp_path / "allowed", UrlPolicy(allow_private=True))
    try:
        _automate(allowed, receiver.url)
        log_text(allowed, "ds", "x")
        [got] = receiver.wait_for(1)
        assert got.signed and _finished(allowed).status is DeliveryStatus.FINISHED
    finally:
        allowed.close()


def test_a_checked_url_is_pinned_to_its_address_with_the_original_host() -> None:
    https = target_of("https://93.184.216.34:8443/hook?x=1", UrlPolicy())
    assert https.url == "https://93.184.216.34:8443/hook?x=1" and https.server_name == "93.184.216.34"
    assert https.host_header == "93.184.216.34:8443"
    v6 = target_of("http://[2606:4700::1]/h", UrlPolicy())
    assert v6.url == "http://[2606:4700::1]/h" and v6.host_header == "[2606:4700::1]"
    assert target_of("http://127.0.0.1:1/h", UrlPolicy(allow_private=True)).host_header is None


def test_a_named_https_url_keeps_its_name_for_host_and_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    Rebinder(monkeypatch)
    target = target_of(f"https://{NAME}/hook", UrlPolicy())
    assert target.url == f"https://{PUBLIC}/hook"
    assert target.host_header == NAME and target.server_name == NAME
    with pytest.raises(PermissionDeniedError, match="non-public address 127.0.0.1"):
        target_of(f"http://{NAME.upper()}:8080/hook", UrlPolicy())  # the second lookup: loopback


def test_a_redirect_is_not_followed(tmp_path: Path, receiver: Receiver) -> None:
    """A receiver answering 307 towards another address gets that answer recorded, final."""
    hosts: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hosts.append(self.headers.get("Host", ""))
            self.send_response(307)
            self.send_header("Location", receiver.url.replace("127.0.0.1", "localhost"))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    local = _store(tmp_path, UrlPolicy(allowed=("127.0.0.0/8",)))  # a network allowed: still pinned
    try:
        _automate(local, url)
        log_text(local, "ds", "x")
        delivery = _finished(local)
    finally:
        local.close()
        server.shutdown()
        server.server_close()
    assert receiver.received == [] and hosts == [f"127.0.0.1:{server.server_address[1]}"]
    assert delivery.status is DeliveryStatus.FAILED
    assert [(a.status_code, a.error) for a in delivery.attempts] == [(307, "HTTP 307")]
