"""The blob listener against slow and ticketless clients, over real loopback sockets with
short deadlines: connections that trickle their head or their body (slow-loris) cannot
keep a legitimate upload out, a request without a valid ticket gets no upload slot, and
a request past its deadline is dropped. The attackers connect from 127.0.0.2, the
legitimate client from 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import hash_bytes
from archivist.server.blobs.listener import BlobListener
from archivist.server.blobs.tickets import BlobTickets
from archivist.server.config import ListenerLimits, ServerConfig
from archivist.storage.local import LocalBlobStore
from archivist.wire.plain_http import head_bytes, read_body, read_head
from archivist.wire.splice import CAN_SPLICE

LIMITS = ListenerLimits(
    uploads=2,
    uploads_per_user=1,
    waiting=6,
    waiting_per_address=3,
    head_seconds=0.6,
    min_rate=4 << 20,
    min_seconds=0.6,
    idle_seconds=5.0,
)
ATTACKER = "127.0.0.2"
SIZE = 1 << 20


@pytest.fixture(params=[pytest.param(True, id="splice"), pytest.param(False, id="recv")])
def listener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobListener]:
    if request.param and not CAN_SPLICE:
        pytest.skip("this system has no splice")
    store = LocalBlobStore(str(tmp_path / "blobs"))
    running = BlobListener(store, BlobTickets(), limits=LIMITS, splice=request.param)
    running.start("127.0.0.1", 0)
    yield running
    running.close()


def _target(listener: BlobListener, digest: str, size: int, user: str) -> str:
    return f"/blobs/{digest}?{listener.tickets.issue(digest, size, 60, user)}"


def _head(target: str, size: int) -> bytes:
    return head_bytes(f"PUT {target} HTTP/1.1", {"Host": "127.0.0.1", "Content-Length": str(size)})


def _legitimate_upload(listener: BlobListener, user: str = "ada") -> float:
    """PUT a fresh blob with a valid ticket; the seconds it took (it must be stored)."""
    data = os.urandom(SIZE)
    digest = hash_bytes(data)
    started = time.monotonic()
    answer = httpx.put(
        f"http://127.0.0.1:{listener.port}{_target(listener, digest, SIZE, user)}", content=data
    )
    assert answer.status_code == 200, answer.text
    assert listener.store.missing([digest]) == set()
    return time.monotonic() - started


def _connect(listener: BlobListener, source: str = ATTACKER) -> socket.socket:
    return socket.create_connection(("127.0.0.1", listener.port), timeout=10, source_address=(source, 0))


def _answer(connection: socket.socket) -> tuple[int | None, str]:
    """The listener's answer on ``connection``: (status, body); (None, "") when it closed
    the connection without one."""
    try:
        head = read_head(connection)
        if head is None:
            return None, ""
        return int(head.start_line.split(" ")[1]), read_body(connection, head, 10_000).decode()
    except ConnectionResetError:
        return None, ""


class SlowClients:
    """A slow-loris: ``count`` connections from ``ATTACKER`` that each send ``opening`` at
    once, then one more byte of ``trickle`` every ``interval`` s; a connection the listener
    drops is opened again (``reconnect``)."""

    def __init__(
        self,
        listener: BlobListener,
        count: int,
        trickle: bytes,
        opening: bytes = b"",
        interval: float = 0.05,
        reconnect: bool = True,
    ) -> None:
        self.listener, self.count, self.trickle, self.opening = listener, count, trickle, opening
        self.interval, self.reconnect = interval, reconnect
        self.dropped = 0
        self.answers: list[int | None] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowClients:
        self._thread.start()
        time.sleep(0.3)  # every connection is open and trickling
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _open(self) -> tuple[socket.socket, int]:
        connection = _connect(self.listener)
        connection.sendall(self.opening)
        return connection, 0

    def _run(self) -> None:
        open_ones: list[tuple[socket.socket, int] | None] = [self._open() for _ in range(self.count)]
        try:
            while not self._stop.wait(self.interval):
                for index, entry in enumerate(open_ones):
                    if entry is None:
                        continue
                    connection, sent = entry
                    if select.select([connection], [], [], 0)[0] or sent >= len(self.trickle):
                        self._dropped(connection)
                        open_ones[index] = self._open() if self.reconnect else None
                        continue
                    with contextlib.suppress(OSError):  # dropped: seen on the next turn
                        connection.sendall(self.trickle[sent : sent + 1])
                    open_ones[index] = (connection, sent + 1)
        finally:
            for entry in open_ones:
                if entry is not None:
                    entry[0].close()

    def _dropped(self, connection: socket.socket) -> None:
        self.dropped += 1
        self.answers.append(_answer(connection)[0])
        connection.close()


def test_trickled_heads_cannot_keep_a_legitimate_upload_out(listener: BlobListener) -> None:
    head = _head(_target(listener, "ab" * 32, SIZE, "mallory"), SIZE)
    with SlowClients(listener, count=3 * LIMITS.waiting, trickle=head) as slow:
        seconds = _legitimate_upload(listener)
        assert seconds < 5
        time.sleep(LIMITS.head_seconds + 0.3)
    assert slow.dropped >= 3 * LIMITS.waiting  # each was pushed out, turned away or timed out
    assert set(slow.answers) <= {408, 503, None}


def test_trickled_bodies_cannot_keep_a_legitimate_upload_out(listener: BlobListener) -> None:
    """One user's tickets take at most ``uploads_per_user`` slots, each until its deadline."""
    data = os.urandom(SIZE)
    digest = hash_bytes(data)
    opening = _head(_target(listener, digest, SIZE, "mallory"), SIZE)
    with SlowClients(listener, count=17, opening=opening, trickle=data, reconnect=False) as slow:
        assert slow.answers.count(503) == 16  # one slot for mallory; the others were told to come back
        assert _legitimate_upload(listener) < 5
        time.sleep(LIMITS.upload_seconds(SIZE) + 0.5)
        assert slow.dropped == 17  # and the one holding a slot was dropped at its deadline
    assert listener.store.missing([digest]) == {digest}


def test_a_request_without_a_valid_ticket_gets_no_slot(listener: BlobListener) -> None:
    data = os.urandom(SIZE)
    digest = hash_bytes(data)
    forged = _target(listener, digest, SIZE, "mallory").replace("signature=", "signature=0")
    for target in (f"/blobs/{digest}", f"/blobs/{digest}?size={SIZE}&expires=9999999999", forged):
        with _connect(listener) as connection:
            connection.sendall(_head(target, SIZE))  # the head only: refused before any body
            status, body = _answer(connection)
        assert status == 403 and "upload URL" in body
    # connections that have not shown a ticket hold no slot, however many there are
    with SlowClients(listener, count=17, trickle=b"PUT /blobs/", reconnect=False):
        assert _legitimate_upload(listener) < 5
        assert _legitimate_upload(listener, user="bob") < 5


def test_an_upload_past_its_deadline_is_dropped(listener: BlobListener) -> None:
    data = os.urandom(SIZE)
    digest = hash_bytes(data)
    with _connect(listener, "127.0.0.1") as connection:
        connection.sendall(_head(_target(listener, digest, SIZE, "ada"), SIZE) + data[: SIZE // 4])
        started = time.monotonic()
        closed_after = None
        for byte in range(SIZE // 4, SIZE):  # a byte every 20 ms: never idle, far too slow
            if select.select([connection], [], [], 0.02)[0]:
                closed_after = time.monotonic() - started
                break
            if time.monotonic() - started > 10:
                break
            connection.sendall(data[byte : byte + 1])
        assert _answer(connection) == (None, "")
    deadline = LIMITS.upload_seconds(SIZE)
    assert closed_after is not None and deadline - 0.1 < closed_after < deadline + 1.5
    assert listener.store.missing([digest]) == {digest}
    _wait_for_no_temp_files(listener)
    assert _legitimate_upload(listener, user="ada") < 5  # its slot is free again


def test_a_head_that_is_too_slow_is_dropped_at_its_deadline(listener: BlobListener) -> None:
    head = _head(_target(listener, "ab" * 32, SIZE, "ada"), SIZE)
    with _connect(listener, "127.0.0.1") as connection:
        started = time.monotonic()
        for index in range(len(head)):
            if select.select([connection], [], [], 0.05)[0]:
                break
            connection.sendall(head[index : index + 1])
        elapsed = time.monotonic() - started
        status, body = _answer(connection)
    assert LIMITS.head_seconds - 0.05 <= elapsed < LIMITS.head_seconds + 1.5
    assert status == 408 and "did not arrive within 0.6 s" in body


def test_waiting_connections_make_room_for_newcomers(tmp_path: Path) -> None:
    """Past ``waiting_per_address`` the one waiting longest from that address goes, past
    ``waiting`` the one waiting longest of all; but one that came a moment ago (within a
    quarter of ``head_seconds``) stays, and the newcomer is turned away."""
    limits = replace(LIMITS, head_seconds=2.0)
    listener = BlobListener(LocalBlobStore(str(tmp_path / "blobs")), BlobTickets(), limits=limits)
    listener.start("127.0.0.1", 0)
    pushed_out = "the request head was too slow: other connections are waiting"
    try:
        first = [_connect(listener) for _ in range(limits.waiting_per_address)]
        assert _answer(_connect(listener)) == (
            503,
            _error("busy", "too many connections are waiting: try again"),
        )
        time.sleep(0.6)
        newcomer = _connect(listener)
        assert _answer(first[0]) == (408, _error("timeout", pushed_out))
        others = [_connect(listener, f"127.0.0.{3 + n}") for n in range(limits.waiting - 3)]
        time.sleep(0.6)
        latest = _connect(listener, "127.0.0.9")
        assert _answer(first[1]) == (408, _error("timeout", pushed_out))  # the one waiting longest of all
        for connection in [*first, newcomer, *others, latest]:
            connection.close()
    finally:
        listener.close()


def _error(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}})


def test_the_deadlines_come_from_the_environment() -> None:
    limits = ServerConfig.from_env(
        "sqlite://", "s", {"ARCHIVIST_BLOB_HEAD_SECONDS": "2.5", "ARCHIVIST_BLOB_MIN_RATE": "1MiB"}
    ).blob_limits
    assert (limits.head_seconds, limits.min_rate) == (2.5, 1 << 20)
    assert limits.upload_seconds(8 << 20) == limits.min_seconds
    assert limits.upload_seconds(1 << 30) == 1024
    for name, value in (("ARCHIVIST_BLOB_HEAD_SECONDS", "0"), ("ARCHIVIST_BLOB_MIN_RATE", "fast")):
        with pytest.raises(InvalidInputError, match=name):
            ServerConfig.from_env("sqlite://", "s", {name: value})


def _wait_for_no_temp_files(listener: BlobListener) -> None:
    store = listener.store
    assert isinstance(store, LocalBlobStore)
    deadline = time.monotonic() + 10
    while os.listdir(store.temp_dir) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert os.listdir(store.temp_dir) == []
