"""Large blobs fetched from the blob listener: a GET ticket, given by the API's
``GET /blobs/{digest}`` as a redirect to a client that asks for it, sends the blob's file
with ``sendfile``; the ticket works for that blob, size and method only, and the redirect
is given only to callers who may read the blob."""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import blake3
import httpx
import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.client.http_session import ApiSession
from archivist.client.transfer import api_downloads
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import LISTENER_ASK_HEADER, STREAM_MIN_BYTES
from archivist.server.blobs.listener import BlobListener
from archivist.server.blobs.tickets import BlobTickets
from archivist.storage.local import LocalBlobStore
from tests.client.artifact_logging import log_files
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess
from tests.server.conftest import _name

LARGE = STREAM_MIN_BYTES + 54_321
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
ASK = {**AUTH, LISTENER_ASK_HEADER: "1"}


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(str(tmp_path / "blobs"))


@pytest.fixture
def listener(store: LocalBlobStore) -> Iterator[BlobListener]:
    running = BlobListener(store, BlobTickets())
    running.start("127.0.0.1", 0)
    yield running
    running.close()


def _ticket_url(listener: BlobListener, digest: str, size: int, method: str) -> str:
    query = listener.tickets.issue(digest, size, 60, "ada", method=method)
    return f"http://127.0.0.1:{listener.port}/blobs/{digest}?{query}"


def test_a_get_ticket_fetches_its_blob_and_nothing_else(
    listener: BlobListener, store: LocalBlobStore
) -> None:
    data = os.urandom(LARGE)
    digest = hash_bytes(data)
    store.put_bytes(digest, data)
    answer = httpx.get(_ticket_url(listener, digest, LARGE, "GET"))
    assert answer.status_code == 200
    assert answer.headers["content-length"] == str(LARGE)
    assert answer.content == data
    put_ticket = _ticket_url(listener, digest, LARGE, "PUT")
    assert httpx.get(put_ticket).status_code == 403  # an upload ticket is not a download one
    get_ticket = _ticket_url(listener, digest, LARGE, "GET")
    refused = httpx.put(get_ticket, content=data)
    assert refused.status_code == 403 and "not for PUT" in refused.json()["error"]["message"]
    assert httpx.get(_ticket_url(listener, digest, LARGE - 1, "GET")).status_code == 404  # other size
    absent = "0" * 64
    assert httpx.get(_ticket_url(listener, absent, 10, "GET")).status_code == 404
    padded = get_ticket.replace(f"/blobs/{digest}", f"/blobs/{digest}%20")
    assert httpx.get(padded).status_code == 404
    upper = get_ticket.replace(f"/blobs/{digest}", f"/blobs/{digest.upper()}")
    assert httpx.get(upper).status_code == 404
    other = hash_bytes(b"another blob")
    store.put_bytes(other, b"another blob")
    assert httpx.get(get_ticket.replace(digest, other)).status_code == 403  # signed for another blob
    expired = listener.tickets.issue(digest, LARGE, 60, "ada", now=time.time() - 120, method="GET")
    answer = httpx.get(f"http://127.0.0.1:{listener.port}/blobs/{digest}?{expired}")
    assert answer.status_code == 403 and "expired" in answer.json()["error"]["message"]
    with_body = httpx.request("GET", get_ticket, content=b"x")
    assert with_body.status_code == 400


def _upload(server: ServerProcess, size: int) -> tuple[str, bytes]:
    data = os.urandom(size)
    digest = hash_bytes(data)
    answer = httpx.put(f"{server.url}/api/v1/blobs/{digest}", content=data, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return digest, data


def test_the_api_redirects_a_large_blob_to_the_listener_when_asked(server: ServerProcess) -> None:
    digest, data = _upload(server, LARGE)
    url = f"{server.url}/api/v1/blobs/{digest}"
    redirect = httpx.get(url, headers=ASK)
    assert redirect.status_code == 307
    location = urllib.parse.urlsplit(redirect.headers["location"])
    api = urllib.parse.urlsplit(server.url)
    assert (location.hostname, location.path) == (api.hostname, f"/blobs/{digest}")
    assert location.port != api.port
    fetched = httpx.get(redirect.headers["location"])  # no API key: the ticket is the permission
    assert fetched.status_code == 200 and fetched.content == data
    direct = httpx.get(url, headers=AUTH)  # a client that does not ask gets the bytes here
    assert direct.status_code == 200 and direct.content == data
    small_digest, small = _upload(server, 1000)
    answer = httpx.get(f"{server.url}/api/v1/blobs/{small_digest}", headers=ASK)
    assert answer.status_code == 200 and answer.content == small  # small: not worth a second connection


def test_no_redirect_for_a_blob_the_caller_may_not_read(server: ServerProcess) -> None:
    admin = AdminClient(server.url, ADMIN_KEY)
    try:
        team = _name("owners")
        admin.create_team(team)
        outsider = admin.create_user(_name("outsider")).key.key
    finally:
        admin.close()
    owner = HttpBackend(server.url, ADMIN_KEY)
    try:
        data = os.urandom(LARGE)
        log_files(owner, "vault", {"big.bin": data}, entity=team)
    finally:
        owner.close()
    digest = hash_bytes(data)
    for key in (outsider, "not-a-key"):
        answer = httpx.get(
            f"{server.url}/api/v1/blobs/{digest}",
            headers={"Authorization": f"Bearer {key}", LISTENER_ASK_HEADER: "1"},
        )
        assert answer.status_code in (401, 404)
        assert "location" not in answer.headers
    assert httpx.get(f"{server.url}/api/v1/blobs/{digest}", headers=ASK).status_code == 307


def test_the_client_fetches_a_large_blob_from_the_listener(server: ServerProcess, tmp_path: Path) -> None:
    digest, data = _upload(server, LARGE)
    session = ApiSession(server.url, ADMIN_KEY)
    try:
        dest = tmp_path / "out.bin"
        written = api_downloads.download_to(session, digest, [str(dest)], None)
    finally:
        session.close()
    assert written == blake3.blake3(data).hexdigest() == digest
    assert dest.read_bytes() == data
    served = [
        line
        for line in server.answered_request_log()
        if line.get("path") == f"/blobs/{digest}" and line.get("method") == "GET"
    ]
    assert [line.get("status") for line in served] == [200]  # from the listener, not the API
