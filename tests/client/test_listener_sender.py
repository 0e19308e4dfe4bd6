"""Large blobs through a real server process go to its blob listener; where the listener
cannot be reached (the API behind a proxy) or is turned off, they go through the API."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archivist.client.http import HttpBackend
from archivist.client.transfer.listener_sender import SEND_STEP_BYTES
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import STREAM_MIN_BYTES
from tests.client.artifact_logging import blobs_of
from tests.client.test_api_transfers import CuttingProxy
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess, archivist_server
from tests.fixtures.servers import free_port

LARGE = STREAM_MIN_BYTES + 4321


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("server")
    with archivist_server(f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log") as running:
        yield running


def _files(tmp_path: Path, sizes: list[int]) -> list[tuple[str, str, bytes]]:
    made = []
    for number, size in enumerate(sizes):
        data = os.urandom(size)
        path = tmp_path / f"file-{number}"
        path.write_bytes(data)
        made.append((hash_bytes(data), str(path), data))
    return made


def _uploaded_bytes(server: ServerProcess, listener: bool, at_least: int = 0) -> int:
    """Request body bytes the server took on its blob listener, or on its upload routes
    (waiting up to a few seconds for ``at_least``: a request is logged after its answer)."""
    deadline = time.monotonic() + 5
    while (taken := _logged_bytes(server, listener)) < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
    return taken


def _logged_bytes(server: ServerProcess, listener: bool) -> int:
    lines = server.request_log()
    if listener:
        return sum(
            line["bytes_in"] for line in lines if line.get("listener") == "blob" and line["status"] == 200
        )
    return sum(line["bytes_in"] for line in lines if line["path"] == "/api/v1/blobs/upload")


def _check_stored(backend: HttpBackend, files: list[tuple[str, str, bytes]], tmp_path: Path) -> None:
    for digest, _path, data in files:
        target = tmp_path / f"back-{digest[:12]}"
        blobs_of(backend).download_blob(digest, str(target))
        assert target.read_bytes() == data


def test_large_blobs_go_to_the_listener_and_small_ones_through_the_api(
    server: ServerProcess, tmp_path: Path
) -> None:
    backend = HttpBackend(server.url, ADMIN_KEY)
    files = _files(tmp_path, [LARGE, LARGE + 1, 1000, 2000])
    before_listener, before_api = _uploaded_bytes(server, True), _uploaded_bytes(server, False)
    reported: list[int] = []
    blobs_of(backend).upload_files(
        [(digest, path) for digest, path, _data in files], progress=reported.append
    )
    assert _uploaded_bytes(server, True, before_listener + 2 * LARGE + 1) - before_listener == 2 * LARGE + 1
    api_bytes = _uploaded_bytes(server, False, before_api + 3000) - before_api
    assert 3000 <= api_bytes < 4000  # the two small files, framed
    assert sum(reported) == 2 * LARGE + 1 + 3000
    assert backend.transfers.streaming
    listener_lines = [line for line in server.request_log() if line.get("listener") == "blob"]
    assert {line["user"] for line in listener_lines} == {"admin"}  # whom the plan gave the URLs
    _check_stored(backend, files, tmp_path)
    backend.close()


def test_behind_a_proxy_the_listener_is_unreachable_and_the_api_takes_the_blob(tmp_path: Path) -> None:
    root = tmp_path / "server"
    root.mkdir()
    with archivist_server(
        f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log", host="127.0.0.2"
    ) as server:
        proxy = CuttingProxy(server.url, b"-", cuts=0, keep=0)  # the API on 127.0.0.1, via the proxy
        backend = HttpBackend(proxy.url, ADMIN_KEY)
        files = _files(tmp_path, [LARGE, LARGE + 7])
        blobs_of(backend).upload_files([(digest, path) for digest, path, _data in files[:1]])
        assert not backend.transfers.streaming  # the listener on 127.0.0.2 was not reached
        blobs_of(backend).upload_files([(digest, path) for digest, path, _data in files[1:]])
        assert _uploaded_bytes(server, True) == 0
        assert _uploaded_bytes(server, False, 2 * LARGE + 7) >= 2 * LARGE + 7
        _check_stored(backend, files, tmp_path)
        backend.close()
        proxy.close()


class BreakingListener:
    """Stands where the client looks for the blob listener: answers ``100 Continue``, takes
    ``keep`` bytes of the body, then closes the connection."""

    def __init__(self, port: int, keep: int) -> None:
        self.keep = keep
        self.taken = 0
        self.socket = socket.create_server(("127.0.0.1", port))
        threading.Thread(target=self._serve_one, daemon=True).start()

    def _serve_one(self) -> None:
        connection, _ = self.socket.accept()
        with connection:
            head = b""
            while b"\r\n\r\n" not in head:
                head += connection.recv(4096)
            self.taken = len(head.split(b"\r\n\r\n", 1)[1])
            connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            while self.taken < self.keep and (data := connection.recv(1 << 20)):
                self.taken += len(data)

    def close(self) -> None:
        self.socket.close()


def test_a_stream_that_breaks_off_goes_through_the_api_and_counts_each_byte_once(tmp_path: Path) -> None:
    root = tmp_path / "server"
    root.mkdir()
    blob_port = free_port("127.0.0.1")
    env = {"ARCHIVIST_BLOB_PORT": str(blob_port)}
    with archivist_server(
        f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log", env=env, host="127.0.0.2"
    ) as server:
        # The API through a proxy on 127.0.0.1: the plan's listener URL names 127.0.0.1 too,
        # where this test's listener breaks off after one progress step of the body.
        proxy = CuttingProxy(server.url, b"-", cuts=0, keep=0)
        breaking = BreakingListener(blob_port, keep=SEND_STEP_BYTES + 4096)
        backend = HttpBackend(proxy.url, ADMIN_KEY)
        files = _files(tmp_path, [2 * SEND_STEP_BYTES + 4321])
        reported: list[int] = []
        blobs_of(backend).upload_files(
            [(digest, path) for digest, path, _data in files], progress=reported.append
        )
        assert breaking.taken >= SEND_STEP_BYTES  # the stream got that far before it broke off
        assert backend.transfers.streaming  # a listener that broke off was reachable: try it again
        assert _uploaded_bytes(server, False, 2 * SEND_STEP_BYTES) >= 2 * SEND_STEP_BYTES + 4321
        assert sum(reported) == 2 * SEND_STEP_BYTES + 4321
        _check_stored(backend, files, tmp_path)
        backend.close()
        breaking.close()
        proxy.close()


def test_a_server_without_a_listener_takes_every_blob_through_the_api(tmp_path: Path) -> None:
    root = tmp_path / "server"
    root.mkdir()
    env = {"ARCHIVIST_BLOB_PORT": "off"}
    with archivist_server(
        f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log", env=env
    ) as server:
        backend = HttpBackend(server.url, ADMIN_KEY)
        files = _files(tmp_path, [LARGE])
        blobs_of(backend).upload_files([(digest, path) for digest, path, _data in files])
        assert _uploaded_bytes(server, True) == 0
        assert _uploaded_bytes(server, False, LARGE) >= LARGE
        _check_stored(backend, files, tmp_path)
        backend.close()


def test_a_client_of_an_https_api_never_asks_for_the_plain_listener() -> None:
    assert not HttpBackend("https://archivist.example.test", ADMIN_KEY).transfers.streaming
    assert HttpBackend("http://127.0.0.1:9", ADMIN_KEY).transfers.streaming
