"""The blob listener's door: connections until their request head has arrived.

A connection that has not sent its whole request head has shown no ticket yet, so it
gets nothing but a non-blocking socket and a small buffer, watched by one thread with
a selector: no upload slot, no thread of its own. Such connections are few -- at most
``ListenerLimits.waiting`` in all and ``waiting_per_address`` from one client address --
and each has ``head_seconds`` from connecting for its whole head, however it trickles in.
Past a bound, the one that has waited longest (from that address, if that is the bound
reached) is dropped for the newcomer, so slow connections only push out each other; one
that came a moment ago (``GRACE_FRACTION`` of ``head_seconds``) is not dropped: the
newcomer is told to come back instead, so a burst of connections cannot push out heads
about to arrive. A complete head is handed to ``on_head``.
"""

from __future__ import annotations

import json
import logging
import selectors
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from archivist.core.errors import InvalidInputError
from archivist.server.config import ListenerLimits
from archivist.server.request_log import log_request
from archivist.wire.plain_http import BadMessage, Head, parse_head, response_bytes

logger = logging.getLogger("archivist.server")
TICK_SECONDS = 0.25
"""The door thread looks at deadlines at least this often."""
HEAD_READ_BYTES = 4096
GRACE_FRACTION = 0.25

OnHead = Callable[[socket.socket, Head, float], None]
"""Takes a connection whose head arrived (and its ``perf_counter`` start); owns it from then on."""
OnTick = Callable[[float], "float | None"]
"""Called each turn with the time: enforces what is due, and returns its next deadline."""


@dataclass(eq=False)
class _Waiting:
    connection: socket.socket
    address: str
    started: float
    deadline: float
    received: bytearray = field(default_factory=bytearray)


class Door:
    def __init__(
        self, listening: socket.socket, limits: ListenerLimits, on_head: OnHead, on_tick: OnTick
    ) -> None:
        self.listening, self.limits, self.on_head, self.on_tick = listening, limits, on_head, on_tick
        self._guests: dict[socket.socket, _Waiting] = {}  # in the order they connected
        self._per_address: Counter[str] = Counter()
        self._selector = selectors.DefaultSelector()

    def run(self, closed: threading.Event) -> None:
        """Serve until ``closed`` is set; then close every connection still waiting."""
        self.listening.setblocking(False)
        self._selector.register(self.listening, selectors.EVENT_READ)
        try:
            while not closed.is_set():
                try:
                    self._step()
                except Exception:  # the door must stay open: log, and go on with the next step
                    logger.exception("blob listener: the door thread failed a step")
                    time.sleep(TICK_SECONDS)
        finally:
            for guest in list(self._guests.values()):
                self._leave(guest)
                guest.connection.close()
            self._selector.close()

    def _step(self) -> None:
        for key, _events in self._selector.select(self._wait_seconds()):
            if key.fileobj is self.listening:
                self._accept()
            elif (guest := self._guests.get(key.fileobj)) is not None:  # type: ignore[call-overload]
                self._read(guest)
        now = time.perf_counter()
        for guest in [guest for guest in self._guests.values() if guest.deadline <= now]:
            seconds = self.limits.head_seconds
            self._turn_away(guest, 408, f"the request head did not arrive within {seconds:g} s")

    def _wait_seconds(self) -> float:
        now = time.perf_counter()
        deadlines = [guest.deadline for guest in self._guests.values()]
        if (upload_deadline := self.on_tick(now)) is not None:
            deadlines.append(upload_deadline)
        return min(TICK_SECONDS, max(0.0, min(deadlines, default=now + TICK_SECONDS) - now))

    def _accept(self) -> None:
        while True:
            try:
                connection, address = self.listening.accept()
            except BlockingIOError:
                return
            except OSError as error:
                logger.warning("blob listener: accept failed: %s", error)
                return
            connection.setblocking(False)
            host, now = str(address[0]), time.perf_counter()
            if not self._make_room(host, now):
                answer_and_close(connection, 503, "busy", "too many connections are waiting: try again")
                log_listener_request(None, 503, now)
                continue
            guest = _Waiting(connection, host, now, now + self.limits.head_seconds)
            self._guests[connection] = guest
            self._per_address[host] += 1
            self._selector.register(connection, selectors.EVENT_READ)

    def _make_room(self, host: str, now: float) -> bool:
        """Whether a newcomer from ``host`` may wait, after dropping the one waiting longest
        (from that address when its bound is reached) if room is needed and it has waited
        beyond the grace."""
        if self._per_address[host] >= self.limits.waiting_per_address:
            longest = next(guest for guest in self._guests.values() if guest.address == host)
        elif len(self._guests) >= self.limits.waiting:
            longest = next(iter(self._guests.values()))
        else:
            return True
        if now - longest.started < GRACE_FRACTION * self.limits.head_seconds:
            return False
        self._turn_away(longest, 408, "the request head was too slow: other connections are waiting")
        return True

    def _read(self, guest: _Waiting) -> None:
        try:
            chunk = guest.connection.recv(HEAD_READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client left before its head was whole
            self._leave(guest)
            guest.connection.close()
            return
        guest.received += chunk
        try:
            head = parse_head(guest.received)
        except BadMessage as error:
            self._turn_away(guest, 400, f"malformed request: {error}")
            return
        if head is not None:
            self._leave(guest)
            self.on_head(guest.connection, head, guest.started)

    def _turn_away(self, guest: _Waiting, status: int, message: str) -> None:
        self._leave(guest)
        code = "timeout" if status == 408 else InvalidInputError.code
        answer_and_close(guest.connection, status, code, message)
        log_listener_request(None, status, guest.started)

    def _leave(self, guest: _Waiting) -> None:
        self._selector.unregister(guest.connection)
        del self._guests[guest.connection]
        self._per_address[guest.address] -= 1
        if not self._per_address[guest.address]:
            del self._per_address[guest.address]


def answer_and_close(connection: socket.socket, status: int, code: str, message: str) -> None:
    """Send a short answer without waiting on the client (a full send buffer loses it) and close."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    try:
        connection.setblocking(False)
        connection.send(response_bytes(status, body))
        connection.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        connection.close()


def log_listener_request(
    head: Head | None, status: int, started: float, user: str = "", received: int = 0
) -> None:
    """The request-log line of one connection (``started``: its ``time.perf_counter()``)."""
    parts = head.start_line.split(" ") if head is not None else []
    method = parts[0] if parts and parts[0] in ("PUT", "GET") else "PUT"
    path = parts[1].split("?", 1)[0] if len(parts) > 1 else "-"
    log_request(method, path, status, started, user or None, received, listener="blob")
