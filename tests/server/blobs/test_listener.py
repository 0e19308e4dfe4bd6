"""The server's blob listener, in this process over a real folder store and real loopback
sockets: tickets, both ways of receiving (kernel splice and recv), refusals, and
uploads that break off."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from archivist.client.transfer import listener_sender
from archivist.client.transfer.api_uploads import Upload
from archivist.core.errors import FileChangedError, InvalidInputError
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import TransferMode, UploadTarget
from archivist.server.blobs.listener import BlobListener
from archivist.server.blobs.tickets import BlobTickets, Ticket, TicketRefused
from archivist.server.config import ServerConfig
from archivist.storage.local import LocalBlobStore
from archivist.wire.plain_http import head_bytes, read_body, read_head
from archivist.wire.splice import CAN_SPLICE

SIZE = 9 * (1 << 20) + 12_345  # several pieces and splice steps, not a round number

RECEIVE_WAYS = [pytest.param(True, id="splice"), pytest.param(False, id="recv")]


def test_a_ticket_names_one_blob_size_and_time() -> None:
    tickets = BlobTickets()
    digest = "ab" * 32
    query = tickets.issue(digest, 10, lifetime_seconds=60, user="ada", now=1000)
    assert tickets.check(digest, query, now=1050) == Ticket(digest, 10, 1060, "ada")
    with pytest.raises(TicketRefused, match="expired"):
        tickets.check(digest, query, now=1061)
    with pytest.raises(TicketRefused, match="signature"):
        tickets.check("cd" * 32, query, now=1000)  # another blob
    with pytest.raises(TicketRefused, match="signature"):
        tickets.check(digest, query.replace("size=10", "size=11"), now=1000)
    with pytest.raises(TicketRefused, match="signature"):
        tickets.check(digest, query.replace("user=ada", "user=bob"), now=1000)
    with pytest.raises(TicketRefused, match="signature"):
        BlobTickets().check(digest, query, now=1000)  # another process's secret
    with pytest.raises(TicketRefused, match="size or expiry"):
        tickets.check(digest, "signature=00", now=1000)


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(str(tmp_path / "blobs"))


def _listener(store: LocalBlobStore, splice: bool) -> BlobListener:
    if splice and not CAN_SPLICE:
        pytest.skip("this system has no splice")
    listener = BlobListener(store, BlobTickets(), splice=splice)
    listener.start("127.0.0.1", 0)
    return listener


@pytest.fixture(params=RECEIVE_WAYS)
def listener(request: pytest.FixtureRequest, store: LocalBlobStore) -> Iterator[BlobListener]:
    running = _listener(store, request.param)
    yield running
    running.close()


def _url(listener: BlobListener, digest: str, size: int) -> str:
    return f"http://127.0.0.1:{listener.port}/blobs/{digest}?{listener.tickets.issue(digest, size, 60)}"


def _temp_files(store: LocalBlobStore) -> list[str]:
    return os.listdir(store.temp_dir) if os.path.isdir(store.temp_dir) else []


def test_a_blob_put_with_a_plain_http_client_is_verified_and_stored(
    listener: BlobListener, store: LocalBlobStore
) -> None:
    data = os.urandom(SIZE)
    digest = hash_bytes(data)
    answer = httpx.put(_url(listener, digest, SIZE), content=data)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"stored": digest}
    with store.open(digest) as stored:
        assert stored.read() == data
    assert _temp_files(store) == []


def test_the_client_sends_a_file_after_100_continue(
    listener: BlobListener, store: LocalBlobStore, tmp_path: Path
) -> None:
    data = os.urandom(SIZE)
    digest = hash_bytes(data)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    target = UploadTarget(digest, SIZE, TransferMode.STREAM, url=_url(listener, digest, SIZE))
    reported: list[int] = []
    listener_sender.send(target, Upload(digest, str(path), SIZE), reported.append)
    assert sum(reported) == SIZE
    assert store.missing([digest]) == set()


def test_bytes_that_do_not_match_are_refused_and_nothing_is_kept(
    listener: BlobListener, store: LocalBlobStore, tmp_path: Path
) -> None:
    data = os.urandom(SIZE)
    digest = hash_bytes(data)
    answer = httpx.put(_url(listener, digest, SIZE), content=data[:-1] + bytes([data[-1] ^ 1]))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "integrity"
    assert store.missing([digest]) == {digest}
    assert _temp_files(store) == []
    changed = tmp_path / "changed.bin"
    changed.write_bytes(data[:-1] + bytes([data[-1] ^ 2]))  # the file changed after it was hashed
    target = UploadTarget(digest, SIZE, TransferMode.STREAM, url=_url(listener, digest, SIZE))
    with pytest.raises(FileChangedError, match="changed while it was being uploaded"):
        listener_sender.send(target, Upload(digest, str(changed), SIZE), lambda _n: None)


def test_refusals_name_the_problem(listener: BlobListener, store: LocalBlobStore) -> None:
    data = os.urandom(1000)
    digest = hash_bytes(data)
    url = _url(listener, digest, len(data))
    forged = url.replace("signature=", "signature=0")
    assert httpx.put(forged, content=data).status_code == 403
    assert "signature" in httpx.put(forged, content=data).json()["error"]["message"]
    assert httpx.put(_url(listener, digest, 999), content=data).status_code == 400  # size differs
    assert httpx.get(url).status_code == 403  # an upload ticket fetches nothing
    assert "not for GET" in httpx.get(url).json()["error"]["message"]
    assert httpx.delete(url).status_code == 405
    wrong_path = url.replace(f"/blobs/{digest}", "/other")
    assert httpx.put(wrong_path, content=data).status_code == 404

    def chunks() -> Iterator[bytes]:
        yield data

    assert httpx.put(url, content=chunks()).status_code == 411  # chunked: no Content-Length
    with socket.create_connection(("127.0.0.1", listener.port)) as raw:
        raw.sendall(b"nonsense\r\n\r\n")
        head = read_head(raw)
        assert head is not None and head.start_line.startswith("HTTP/1.1 400")
        assert b"malformed request" in read_body(raw, head, 10_000)
    assert store.missing([digest]) == {digest}
    assert httpx.put(url, content=data).status_code == 200  # and it still serves


def test_an_upload_that_breaks_off_leaves_nothing_and_the_listener_serves_on(
    listener: BlobListener, store: LocalBlobStore
) -> None:
    data = os.urandom(SIZE)
    digest = hash_bytes(data)
    url = _url(listener, digest, SIZE)
    path_and_query = url.split(str(listener.port), 1)[1]
    with socket.create_connection(("127.0.0.1", listener.port)) as raw:
        raw.sendall(head_bytes(f"PUT {path_and_query} HTTP/1.1", {"Content-Length": str(SIZE)}))
        raw.sendall(data[: SIZE // 2])
    deadline = time.monotonic() + 10
    while _temp_files(store) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _temp_files(store) == []
    assert store.missing([digest]) == {digest}
    assert httpx.put(url, content=data).status_code == 200


def test_a_listener_that_cannot_be_reached_says_so(store: LocalBlobStore) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, never listening: connections are refused
        target = UploadTarget("ab" * 32, 10, TransferMode.STREAM, url=f"http://127.0.0.1:{port}/blobs/x")
        with pytest.raises(listener_sender.StreamFailed) as failed:
            listener_sender.send(target, Upload("ab" * 32, "/nonexistent", 10), lambda _n: None)
    assert failed.value.unreachable


def test_the_listener_port_comes_from_the_environment() -> None:
    assert ServerConfig.from_env("sqlite://", "s", {}).blob_port == 0
    assert ServerConfig.from_env("sqlite://", "s", {"ARCHIVIST_BLOB_PORT": "9123"}).blob_port == 9123
    assert ServerConfig.from_env("sqlite://", "s", {"ARCHIVIST_BLOB_PORT": "OFF"}).blob_port is None
    with pytest.raises(InvalidInputError, match="ARCHIVIST_BLOB_PORT"):
        ServerConfig.from_env("sqlite://", "s", {"ARCHIVIST_BLOB_PORT": "-1"})
