"""No error a server sends names where it keeps its data: a real server over a folder
store is given a missing blob, a damaged folder and an unreadable file, and every message
that reaches the client (API, blob listener, UI error page) is checked for its paths."""

from __future__ import annotations

import html
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from archivist.client.http import HttpBackend
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import STREAM_MIN_BYTES
from archivist.server.public_messages import STORE_WORDS
from tests.client.artifact_logging import log_files
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess, archivist_server
from tests.ui.pages import csrf_token

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
UI_MESSAGE = re.compile(r'<p class="message">(.*?)</p>', re.S)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the module; each test repairs the damage it does."""
    home = tmp_path_factory.mktemp("srv")
    with archivist_server(
        f"sqlite:///{home}/meta.sqlite", home / "blobs", home.parent / "server.log"
    ) as running:
        yield running


def _says_no_server_path(message: str, server: ServerProcess) -> str:
    home = Path(server.store).parent
    for place in {str(home), os.path.realpath(home), "/tmp/", "blobs/tmp/"}:
        assert place not in message, message
    return message


def _api_message(answer: httpx.Response, server: ServerProcess) -> str:
    return _says_no_server_path(answer.json()["error"]["message"], server)


def _logged_blob(server: ServerProcess, data: bytes) -> tuple[str, str]:
    """(digest, UI address of the file view) of a one-file version holding ``data``."""
    backend = HttpBackend(server.url, ADMIN_KEY)
    try:
        version = log_files(backend, "leaky", {"notes/secret.txt": data}).version
    finally:
        backend.close()
    view = (
        f"/ui/artifacts/{version.entity}/{version.project}/{version.collection}/{version.version}/files/view"
    )
    return hash_bytes(data), f"{view}?path=notes/secret.txt"


@contextmanager
def _ui_client(server: ServerProcess) -> Iterator[httpx.Client]:
    """A browser logged in to the server's UI as the administrator."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        token = csrf_token(client.get("/ui/login").text)
        client.post("/ui/login", data={"api_key": ADMIN_KEY, "next": "/ui/", "csrf_token": token})
        yield client


def test_a_missing_blob_is_not_in_the_servers_blob_store(server: ServerProcess) -> None:
    digest, view = _logged_blob(server, b"a file whose blob goes missing")
    (Path(server.store) / digest[:2] / digest[2:]).unlink()

    answer = httpx.get(f"{server.url}/api/v1/blobs/{digest}", headers=AUTH)
    assert answer.status_code == 404
    assert _api_message(answer, server) == f"blob {digest} is not in {STORE_WORDS}"
    answer = httpx.post(f"{server.url}/api/v1/blobs/download", headers=AUTH, json={"digests": [digest]})
    assert answer.status_code == 404 and digest in _api_message(answer, server)
    with _ui_client(server) as browser:
        page = browser.get(view)
    assert page.status_code == 404
    shown = html.unescape(UI_MESSAGE.search(page.text).group(1))
    assert _says_no_server_path(shown, server) == f"blob {digest} is not in {STORE_WORDS}"


def test_a_damaged_store_folder_is_named_inside_the_store(server: ServerProcess) -> None:
    index = Path(server.store) / "packs" / "index.sqlite"
    assert not index.exists()  # the server's uploads are loose blobs: no pack index yet
    index.mkdir(parents=True)  # a folder where the pack index should be
    try:
        answer = httpx.post(f"{server.url}/api/v1/blobs/missing", headers=AUTH, json={"digests": ["ab" * 32]})
    finally:
        index.rmdir()
    assert answer.status_code == 500 and answer.json()["error"]["code"] == "storage"
    assert f"packs/index.sqlite in {STORE_WORDS}" in _api_message(answer, server)


def test_an_unreadable_blob_file_says_no_path(server: ServerProcess) -> None:
    digest, view = _logged_blob(server, b"a file whose blob becomes unreadable")
    blob = Path(server.store) / digest[:2] / digest[2:]
    blob.unlink()
    blob.mkdir()  # reading it fails (as root, permissions would not stop a read)
    answer = httpx.get(f"{server.url}/api/v1/blobs/{digest}", headers=AUTH)
    assert answer.status_code == 500
    _api_message(answer, server)
    with _ui_client(server) as browser:
        page = browser.get(view)
    assert page.status_code >= 400
    _says_no_server_path(page.text, server)


def test_the_blob_listener_answers_without_server_paths(server: ServerProcess) -> None:
    """An upload whose temp file vanishes from the store before it is renamed into place."""
    data = os.urandom(STREAM_MIN_BYTES)
    digest = hash_bytes(data)
    plan = httpx.post(
        f"{server.url}/api/v1/blobs/upload-plan",
        headers=AUTH,
        json={"blobs": [{"digest": digest, "size": len(data)}], "stream": True},
    ).json()
    url = httpx.URL(plan["targets"][0]["url"])
    assert plan["targets"][0]["mode"] == "stream"
    temp_folder = Path(server.store) / "tmp"
    with socket.create_connection((url.host, url.port), timeout=30) as connection:
        target = url.raw_path.decode()
        head = f"PUT {target} HTTP/1.1\r\nHost: {url.host}\r\nContent-Length: {len(data)}\r\n\r\n"
        connection.sendall(head.encode() + data[:1024])
        deadline = time.monotonic() + 30
        while not (temps := list(temp_folder.iterdir())):
            assert time.monotonic() < deadline, "the listener made no temp file"
            time.sleep(0.02)
        for temp in temps:
            temp.unlink()
        connection.sendall(data[1024:])
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, body = answer.decode().partition("\r\n")
    assert " 200 " not in status_line, answer
    message = httpx.Response(200, content=body.split("\r\n\r\n", 1)[1]).json()["error"]["message"]
    _says_no_server_path(message, server)
