"""Limits before work: the key is checked before the body is read, bodies have limits per
route, and metadata and descriptions are bounded (413 with a clear message)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.errors import TooLargeError
from archivist.core.models import VersionUpdate
from tests.client.artifact_logging import log_text
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess, archivist_server

LIMIT = "64KiB"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("limited")
    env = {"ARCHIVIST_MAX_REQUEST_BYTES": LIMIT}
    with archivist_server(f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "log", env=env) as server:
        yield server


def _raw_request(server: ServerProcess, head: str, timeout: float = 10) -> tuple[str, float]:
    """Send only a request's head (its body announced, never sent); the status line of the
    answer and how long it took. A server that waited for the body would time out."""
    host, port = server.url.removeprefix("http://").split(":")
    started = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(head.encode("latin-1"))
        answer = b""
        while b"\r\n" not in answer:
            piece = connection.recv(4096)
            if not piece:
                break
            answer += piece
    return answer.split(b"\r\n", 1)[0].decode(), time.perf_counter() - started


@pytest.mark.parametrize("authorization", ["", "Authorization: Bearer ak_not-a-key-of-this-server\r\n"])
def test_a_request_without_a_live_key_is_refused_before_its_body(
    limited: ServerProcess, authorization: str
) -> None:
    for path in ("/api/v1/versions/commit", "/api/v1/blobs/upload", f"/api/v1/blobs/{'a' * 64}"):
        method = "PUT" if path.endswith("a" * 64) else "POST"
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: x\r\n{authorization}"
            f"Content-Type: application/json\r\nContent-Length: {1 << 30}\r\n\r\n"
        )
        status, seconds = _raw_request(limited, head)
        assert status.startswith("HTTP/1.1 401"), (path, status)
        assert seconds < 5


def test_a_body_over_the_routes_limit_is_refused_before_it_is_read(limited: ServerProcess) -> None:
    head = (
        f"POST /api/v1/versions/commit HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {1 << 30}\r\n\r\n"
    )
    status, _seconds = _raw_request(limited, head)
    assert status.startswith("HTTP/1.1 413"), status


def test_a_chunked_body_is_cut_off_at_the_limit(limited: ServerProcess) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"entity": "'
        for _ in range(100):
            yield b"x" * 4096  # 400 KiB in all, no Content-Length

    answer = httpx.post(
        f"{limited.url}/api/v1/projects/list",
        content=chunks(),
        headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    error = answer.json()["error"]
    assert error["code"] == "too_large"
    assert "64.0KiB" in error["message"] and "ARCHIVIST_MAX_REQUEST_BYTES" in error["message"]


def test_bodies_without_a_key_do_not_grow_the_server(limited: ServerProcess) -> None:
    """The attack of the issue (four 256 MiB bodies without a key took the server to 1.8 GiB),
    with four 64 MiB chunked bodies: the server's memory stays where it was."""
    before = _rss(limited)

    def body() -> Iterator[bytes]:
        piece = b"\0" * (1 << 20)
        for _ in range(64):
            yield piece

    for _ in range(4):
        try:
            answer = httpx.post(f"{limited.url}/api/v1/versions/commit", content=body(), timeout=30)
            assert answer.status_code == 401
        except httpx.HTTPError:
            pass  # the server may close the connection after answering: the body was not read
    assert _rss(limited) - before < 64 << 20


def _rss(server: ServerProcess) -> int:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def test_metadata_and_descriptions_are_bounded(server: ServerProcess) -> None:
    admin = AdminClient(server.url, ADMIN_KEY)
    user = admin.create_user(f"bounded-{uuid.uuid4().hex[:8]}")
    backend = HttpBackend(server.url, user.key.key)
    entity = user.user.name
    with pytest.raises(TooLargeError, match="description is 300000 bytes long; at most 262144"):
        log_text(backend, "docs", "data", entity=entity, description="d" * 300_000)
    version = log_text(backend, "docs", "data", entity=entity).version
    with pytest.raises(TooLargeError, match=r"metadata is \d+ bytes as JSON; at most 1048576"):
        backend.update_version(version.id, VersionUpdate(metadata={"blob": "m" * (1 << 20)}))
    backend.close()
    admin.close()
