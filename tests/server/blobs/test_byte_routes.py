"""The framed blob routes of a real server over a folder store: a batch's small blobs
are stored together in one pack, a corrupted blob is rejected and never visible, a
stream cut short stores none of the blobs it still held, and a download batch answers
each asked blob once (in the order the store reads them) or 404 before any byte."""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from archivist.core.manifest import hash_bytes
from archivist.server.blobs.upload_receiver import IN_MEMORY_BYTES
from archivist.storage.packs import PACK_MAX_BLOB_BYTES
from archivist.wire.blob_frames import FrameParser, encode_header
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _frames(blobs: list[tuple[str, bytes]]) -> bytes:
    return b"".join(encode_header(digest, len(data)) + data for digest, data in blobs)


def _missing(server: ServerProcess, digests: list[str]) -> list[str]:
    answer = httpx.post(f"{server.url}/api/v1/blobs/missing", json={"digests": digests}, headers=AUTH)
    answer.raise_for_status()
    return answer.json()["missing"]


def _packed(server: ServerProcess, digest: str) -> tuple[Path, int] | None:
    """The pack file and offset holding ``digest`` (read from the store's own index)."""
    index = Path(server.store) / "packs" / "index.sqlite"
    if not index.exists():
        return None
    with sqlite3.connect(index) as connection:
        row = connection.execute("SELECT pack, offset FROM blobs WHERE digest = ?", (digest,)).fetchone()
    return None if row is None else (Path(server.store) / "packs" / f"{row[0]}.pack", row[1])


def _download(server: ServerProcess, digests: list[str]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/blobs/download", json={"digests": digests}, headers=AUTH)


def _parse(body: bytes) -> list[tuple[str, bytes]]:
    received: list[tuple[str, bytes]] = []

    class Sink:
        def __init__(self, digest: str, _size: int) -> None:
            self.digest, self.data = digest, bytearray()

        def write(self, data: memoryview) -> None:
            self.data += data

        def close(self) -> None:
            received.append((self.digest, bytes(self.data)))

    parser = FrameParser(Sink)
    parser.feed(body)
    parser.finish()
    return received


def test_a_batch_of_small_blobs_is_stored_in_one_pack(server: ServerProcess) -> None:
    blobs = [(hash_bytes(data), data) for data in (os.urandom(100 + i) for i in range(50))]
    answer = httpx.post(f"{server.url}/api/v1/blobs/upload", content=_frames(blobs), headers=AUTH)
    assert answer.status_code == 200
    assert answer.json() == {"stored": [digest for digest, _ in blobs], "rejected": []}
    places = {_packed(server, digest) for digest, _ in blobs}
    assert None not in places
    assert len({pack for pack, _offset in places}) == 1  # type: ignore[misc]
    assert not any((Path(server.store) / d[:2] / d[2:]).exists() for d, _ in blobs)  # no loose copies
    assert _missing(server, [digest for digest, _ in blobs]) == []


def test_a_corrupted_blob_of_a_batch_is_rejected_and_never_visible(server: ServerProcess) -> None:
    good = [os.urandom(300), os.urandom(PACK_MAX_BLOB_BYTES + 1), os.urandom(IN_MEMORY_BYTES + 1)]
    claimed = os.urandom(500)
    bad_digest = hash_bytes(claimed)
    frames = [(hash_bytes(good[0]), good[0]), (bad_digest, os.urandom(500))]  # same size, other bytes
    frames += [(hash_bytes(data), data) for data in good[1:]]
    answer = httpx.post(f"{server.url}/api/v1/blobs/upload", content=_frames(frames), headers=AUTH)
    assert answer.status_code == 200
    report = answer.json()
    assert sorted(report["stored"]) == sorted(hash_bytes(data) for data in good)
    assert [item["digest"] for item in report["rejected"]] == [bad_digest]
    assert report["rejected"][0]["code"] == "integrity"
    assert _missing(server, [bad_digest, *(hash_bytes(data) for data in good)]) == [bad_digest]
    assert _packed(server, bad_digest) is None
    assert not (Path(server.store) / bad_digest[:2] / bad_digest[2:]).exists()
    fetched = dict(_parse(_download(server, [hash_bytes(data) for data in good]).content))
    assert fetched == {hash_bytes(data): data for data in good}


def _request_statuses(server: ServerProcess, path: str) -> list[int]:
    """The logged statuses of the requests to ``path`` the server has answered."""
    return [line["status"] for line in server.answered_request_log() if line["path"] == path]


def test_an_upload_cut_short_stores_none_of_the_blobs_it_held(server: ServerProcess) -> None:
    blobs = [(hash_bytes(data), data) for data in (os.urandom(1000 + i) for i in range(3))]
    body = _frames(blobs)
    cut = len(body) - 500  # two whole frames and part of the third
    before = len(_request_statuses(server, "/api/v1/blobs/upload"))
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        head = (
            f"POST /api/v1/blobs/upload HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {ADMIN_KEY}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        connection.sendall(head.encode() + body[:cut])
        time.sleep(0.3)  # the server has read the two whole frames
    deadline = time.monotonic() + 30
    while len(_request_statuses(server, "/api/v1/blobs/upload")) == before:
        assert time.monotonic() < deadline, "the server never ended the cut request"
        time.sleep(0.05)
    assert _request_statuses(server, "/api/v1/blobs/upload")[before:] == [400]
    assert _missing(server, [digest for digest, _ in blobs]) == [digest for digest, _ in blobs]
    assert list((Path(server.store) / "tmp").iterdir()) == []


def test_a_download_batch_answers_each_blob_once(server: ServerProcess) -> None:
    small = [os.urandom(200 + i) for i in range(20)]
    large = os.urandom(PACK_MAX_BLOB_BYTES * 2)  # stored loose
    blobs = [(hash_bytes(data), data) for data in [*small, large]]
    assert httpx.post(f"{server.url}/api/v1/blobs/upload", content=_frames(blobs), headers=AUTH).is_success
    asked = [digest for digest, _ in reversed(blobs)]
    answer = _download(server, [*asked, asked[0]])  # a digest asked twice is sent once
    assert answer.status_code == 200
    received = _parse(answer.content)
    assert sorted(digest for digest, _ in received) == sorted(asked)
    assert dict(received) == dict(blobs)


def test_a_download_batch_with_an_absent_blob_is_404_before_any_byte(server: ServerProcess) -> None:
    data = os.urandom(64)
    assert httpx.post(
        f"{server.url}/api/v1/blobs/upload", content=_frames([(hash_bytes(data), data)]), headers=AUTH
    ).is_success
    absent = hash_bytes(b"never stored " + os.urandom(8))
    answer = _download(server, [hash_bytes(data), absent])
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "blob_not_found"
    assert absent in answer.json()["error"]["message"]


@pytest.mark.parametrize("size", [100, PACK_MAX_BLOB_BYTES + 1])
def test_a_single_blob_downloads_whether_packed_or_loose(server: ServerProcess, size: int) -> None:
    data = os.urandom(size)
    digest = hash_bytes(data)
    assert httpx.post(
        f"{server.url}/api/v1/blobs/upload", content=_frames([(digest, data)]), headers=AUTH
    ).is_success
    answer = httpx.get(f"{server.url}/api/v1/blobs/{digest}", headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["content-length"] == str(size)
    assert answer.content == data
