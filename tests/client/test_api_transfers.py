"""HttpBackend's blob transfers against a real server process (SQLite + folder store):
batched fetches in memory, a large blob written to several files at once, and answers
cut short on the way (a real TCP proxy in between closes the connection mid-answer)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import blake3
import pytest

from archivist.client.http import HttpBackend
from archivist.client.transfer import api_downloads, streaming_get
from archivist.core.errors import BlobNotFoundError, CommError, IntegrityError
from archivist.core.manifest import hash_bytes
from archivist.core.transfers import STREAM_MIN_BYTES
from tests.client.artifact_logging import blobs_of
from tests.fixtures.archivist_server import ADMIN_KEY, ServerProcess, archivist_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("server")
    with archivist_server(f"sqlite:///{root}/meta.sqlite", root / "blobs", root / "server.log") as running:
        yield running


class CuttingProxy:
    """A TCP proxy to the server that closes the connection after ``keep`` bytes of the
    answer to each of the first ``cuts`` requests starting with ``marker``; it keeps those
    requests (``asked``) so a test can see what each attempt asked for."""

    def __init__(self, target: str, marker: bytes, cuts: int, keep: int) -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.marker, self.cuts, self.keep = marker, cuts, keep
        self.asked: list[bytearray] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)
        budget: list[int | None] = [None]  # bytes of the current answer still let through

        def answers() -> None:
            try:
                while data := upstream.recv(1 << 16):
                    left = budget[0]
                    if left is not None and len(data) >= left:
                        client.sendall(data[:left])
                        break
                    if left is not None:
                        budget[0] = left - len(data)
                    client.sendall(data)
            except OSError:
                pass
            for end in (client, upstream):  # shutdown wakes the other thread's recv
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

        threading.Thread(target=answers, daemon=True).start()
        collecting = False  # the body of a marked request may come in later pieces
        with contextlib.suppress(OSError):
            while data := client.recv(1 << 16):
                if data.startswith(self.marker):
                    self.asked.append(bytearray())
                    collecting = True
                    if self.cuts > 0:
                        self.cuts -= 1
                        budget[0] = self.keep
                if collecting:
                    self.asked[-1] += data
                    collecting = b"]}" not in self.asked[-1] and b"GET " not in self.asked[-1][:4]
                upstream.sendall(data)

    def asked_digests(self) -> list[int]:
        """How many digests each intercepted request asked for."""
        counts = []
        for raw in self.asked:
            found = re.search(rb'\{"digests":\[(.*?)\]\}', raw)
            counts.append(len(json.loads(b"[" + found.group(1) + b"]")) if found else -1)
        return counts

    def close(self) -> None:
        self.listener.close()


def _store(backend: HttpBackend, tmp_path: Path, blobs: list[bytes]) -> list[str]:
    files = []
    for number, data in enumerate(blobs):
        path = tmp_path / f"up-{number}"
        path.write_bytes(data)
        files.append((hash_bytes(data), str(path)))
    blobs_of(backend).upload_files(files)
    return [digest for digest, _path in files]


def test_fetch_blobs_hands_over_each_blob_once(server: ServerProcess, tmp_path: Path) -> None:
    backend = HttpBackend(server.url, ADMIN_KEY)
    blobs = [os.urandom(10 + i) for i in range(2500)]
    digests = _store(backend, tmp_path, blobs)
    got: dict[str, bytes] = {}
    lock = threading.Lock()

    def receive(digest: str, data: bytes) -> None:
        with lock:
            assert digest not in got
            got[digest] = data

    blobs_of(backend).fetch_blobs([*digests, digests[0]], receive)
    assert got == dict(zip(digests, blobs, strict=True))
    backend.close()


def test_a_cut_batch_is_asked_again_for_what_it_did_not_deliver(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_downloads, "DOWNLOAD_BATCH_FILES", 10_000)  # one batch
    direct = HttpBackend(server.url, ADMIN_KEY)
    blobs = [os.urandom(1000) for _ in range(300)]
    digests = _store(direct, tmp_path, blobs)
    direct.close()
    proxy = CuttingProxy(server.url, b"POST /api/v1/blobs/download ", cuts=1, keep=100_000)
    backend = HttpBackend(proxy.url, ADMIN_KEY, backoff=0.01)
    got: list[str] = []
    blobs_of(backend).fetch_blobs(digests, lambda digest, data: got.append(digest))
    assert sorted(got) == sorted(digests)  # each once, although the first answer broke off
    first, second = proxy.asked_digests()
    assert first == len(digests) and 0 < second < first  # the retry asked only for the rest
    backend.close()
    proxy.close()


def test_an_answer_always_cut_fails_clearly(server: ServerProcess, tmp_path: Path) -> None:
    direct = HttpBackend(server.url, ADMIN_KEY)
    digests = _store(direct, tmp_path, [os.urandom(1000) for _ in range(50)])
    direct.close()
    proxy = CuttingProxy(server.url, b"POST /api/v1/blobs/download ", cuts=1_000, keep=5_000)
    backend = HttpBackend(proxy.url, ADMIN_KEY, retries=2, backoff=0.01)
    got: list[str] = []
    with pytest.raises(CommError, match="connection to the Archivist server .* failed"):
        blobs_of(backend).fetch_blobs(digests, lambda digest, data: got.append(digest))
    assert len(got) == len(set(got)) < len(digests)  # never one blob twice
    assert len(proxy.asked) == 3
    backend.close()
    proxy.close()


def test_download_to_writes_every_path_and_returns_the_digest(server: ServerProcess, tmp_path: Path) -> None:
    backend = HttpBackend(server.url, ADMIN_KEY)
    data = os.urandom((40 << 20) + 123)  # several copier steps
    (digest,) = _store(backend, tmp_path, [data])
    paths = [str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "c")]
    assert blobs_of(backend).download_to(digest, paths) == digest
    assert all(Path(path).read_bytes() == data for path in paths)
    backend.close()


def test_download_to_refuses_an_existing_path_and_leaves_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    backend = HttpBackend(server.url, ADMIN_KEY)
    (digest,) = _store(backend, tmp_path, [os.urandom(1 << 20)])
    (tmp_path / "b").write_bytes(b"someone else's")
    with pytest.raises(FileExistsError):
        blobs_of(backend).download_to(digest, [str(tmp_path / "a"), str(tmp_path / "b")])
    assert not (tmp_path / "a").exists()
    assert (tmp_path / "b").read_bytes() == b"someone else's"
    backend.close()


def test_a_cut_single_download_starts_over(server: ServerProcess, tmp_path: Path) -> None:
    direct = HttpBackend(server.url, ADMIN_KEY)
    data = os.urandom(STREAM_MIN_BYTES - 1)  # larger would be fetched from the blob listener
    (digest,) = _store(direct, tmp_path, [data])
    direct.close()
    proxy = CuttingProxy(server.url, f"GET /api/v1/blobs/{digest} ".encode(), cuts=1, keep=3 << 20)
    backend = HttpBackend(proxy.url, ADMIN_KEY, backoff=0.01)
    paths = [str(tmp_path / "a"), str(tmp_path / "b")]
    assert blobs_of(backend).download_to(digest, paths) == digest
    assert all(Path(path).read_bytes() == data for path in paths)
    assert len(proxy.asked) == 2
    backend.close()
    proxy.close()


def test_a_failing_receiver_stops_the_fetch_with_its_own_error(server: ServerProcess, tmp_path: Path) -> None:
    backend = HttpBackend(server.url, ADMIN_KEY)
    digests = _store(backend, tmp_path, [os.urandom(100 + i) for i in range(3000)])
    seen: list[str] = []

    def receive(digest: str, data: bytes) -> None:
        seen.append(digest)
        if len(seen) == 5:
            raise IntegrityError("refused by the receiver")

    with pytest.raises(IntegrityError, match="refused by the receiver"):
        blobs_of(backend).fetch_blobs(digests, receive)
    assert len(seen) < len(digests)  # it stopped early
    backend.close()


def test_download_to_of_an_absent_blob_raises_not_found_and_leaves_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    backend = HttpBackend(server.url, ADMIN_KEY)
    absent = hash_bytes(b"never stored")
    with pytest.raises(BlobNotFoundError, match=absent):
        blobs_of(backend).download_to(absent, [str(tmp_path / "a"), str(tmp_path / "b")])
    assert list(tmp_path.iterdir()) == []
    backend.close()


def test_large_downloads_go_through_httpx_when_a_proxy_is_configured(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = HttpBackend(server.url, ADMIN_KEY)
    assert streaming_get.usable(direct.session)
    data = os.urandom(5 << 20)
    (digest,) = _store(direct, tmp_path, [data])
    direct.close()
    proxy = CuttingProxy(server.url, f"GET {server.url}/api/v1/blobs/{digest} ".encode(), cuts=0, keep=0)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)  # httpx sends the proxy absolute URLs
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = HttpBackend(server.url, ADMIN_KEY)
    assert not streaming_get.usable(proxied.session)
    assert blobs_of(proxied).download_to(digest, [str(tmp_path / "a")]) == digest
    assert (tmp_path / "a").read_bytes() == data
    assert len(proxy.asked) == 1  # through the proxy, as every other request
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert streaming_get.usable(proxied.session)
    proxied.close()
    proxy.close()


def test_a_failing_file_writer_raises_its_error_without_blocking_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "read-only"
    path.write_bytes(b"")
    fd = os.open(path, os.O_RDONLY)  # every pwrite fails with EBADF
    writer = api_downloads._FileWriter(fd, None, blake3.blake3())
    try:
        for number in range(10):  # more pieces than the queue holds: none of these block
            with contextlib.suppress(OSError):
                writer.write(b"x" * 1000, number * 1000)
        with pytest.raises(OSError):
            writer.finish()
    finally:
        writer.close()
        os.close(fd)


def test_the_file_writer_reports_and_hashes_what_is_written_in_order(tmp_path: Path) -> None:
    path = tmp_path / "out"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    reported: list[int] = []
    hasher = blake3.blake3()
    writer = api_downloads._FileWriter(fd, reported.append, hasher)
    pieces = [os.urandom(1000 + number) for number in range(20)]
    offset = 0
    for piece in pieces:
        writer.write(piece, offset)
        offset += len(piece)
    writer.finish()
    os.close(fd)
    assert path.read_bytes() == b"".join(pieces)
    assert reported == sorted(reported) and reported[-1] == offset
    assert hasher.hexdigest() == hash_bytes(b"".join(pieces))
