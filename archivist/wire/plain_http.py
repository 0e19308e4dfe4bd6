"""Just enough HTTP/1.1 for one request and one answer per connection, over a plain socket.

The server's blob listener (``archivist.server.blobs.listener``) and its client
(``archivist.client.transfer.listener_sender``) move large blobs this way: the body goes
between the socket and the file in large pieces (``sendfile`` on the way out),
without the per-chunk work of a general HTTP stack. Only ``Content-Length``
bodies are spoken; every connection carries one exchange and is then closed.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

MAX_HEAD_BYTES = 16 * 1024
REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Content Too Large",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class BadMessage(Exception):
    """The peer sent something that is not an HTTP/1.1 message head we can read."""


@dataclass(frozen=True)
class Head:
    start_line: str
    """``PUT /path HTTP/1.1`` or ``HTTP/1.1 200 OK``."""
    headers: dict[str, str]
    """Names in lower case; a repeated header keeps its last value."""
    rest: bytes
    """Bytes read past the head: the start of the body."""

    def content_length(self) -> int | None:
        raw = self.headers.get("content-length")
        if raw is None:
            return None
        if not raw.isdigit():
            raise BadMessage(f"Content-Length {raw!r} is not a byte count")
        return int(raw)


def read_head(sock: socket.socket, limit: int = MAX_HEAD_BYTES) -> Head | None:
    """The message head arriving on ``sock``; None when the peer closed before sending any."""
    received = bytearray()
    while (head := parse_head(received, limit)) is None:
        chunk = sock.recv(4096)
        if not chunk:
            if received:
                raise BadMessage("the connection closed in the middle of the message head")
            return None
        received += chunk
    return head


def parse_head(received: bytes | bytearray, limit: int = MAX_HEAD_BYTES) -> Head | None:
    """The message head at the start of ``received``; None while it is incomplete
    (``BadMessage`` once it is longer than ``limit`` or malformed)."""
    end = received.find(b"\r\n\r\n")
    if end < 0:
        if len(received) > limit:
            raise BadMessage(f"the message head is longer than {limit} bytes")
        return None
    lines = bytes(received[:end]).decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise BadMessage(f"malformed header line {line[:80]!r}")
        headers[name.lower()] = value.strip()
    return Head(lines[0], headers, bytes(received[end + 4 :]))


def head_bytes(start_line: str, headers: dict[str, str]) -> bytes:
    lines = [start_line, *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def response_bytes(status: int, body: bytes = b"", content_type: str = "application/json") -> bytes:
    """A whole answer that closes the connection."""
    headers = {"Content-Type": content_type, "Content-Length": str(len(body)), "Connection": "close"}
    return head_bytes(f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}", headers) + body


def read_body(sock: socket.socket, head: Head, limit: int) -> bytes:
    """The (small) body after ``head``, by its Content-Length, at most ``limit`` bytes."""
    length = head.content_length()
    if length is None:
        raise BadMessage("the message has no Content-Length")
    if length > limit:
        raise BadMessage(f"the body of {length} bytes is larger than the {limit} expected")
    body = bytearray(head.rest[:length])
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise BadMessage(f"the connection closed after {len(body)} of {length} body bytes")
        body += chunk
    return bytes(body)
