"""The HTTP session says once per outage that it is retrying: a server that does not answer,
then answers, then goes away again (a real HTTP server on loopback, started and stopped)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archivist.client.http_session import ApiSession
from archivist.core.errors import CommError
from tests.fixtures.servers import free_port


@contextmanager
def answering(port: int, statuses: list[int]) -> Iterator[None]:
    """A server on ``port`` answering GETs with the next of ``statuses`` (then 200 for good)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = statuses.pop(0) if statuses else 200
            body = json.dumps({"ok": True} if status == 200 else {"error": {"code": "x", "message": "busy"}})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_one_notice_per_outage() -> None:
    port = free_port()
    notices: list[str] = []
    session = ApiSession(f"http://127.0.0.1:{port}", "k", retries=3, backoff=0.01, notice=notices.append)
    try:
        for _ in range(2):  # nothing listens: two failed calls are one outage
            with pytest.raises(CommError, match="cannot reach"):
                session.call("/identity", method="GET", idempotent=True)
        assert notices == [f"the server at http://127.0.0.1:{port} does not answer; retrying for up to 1 s…"]

        with answering(port, []):
            assert session.call("/identity", method="GET", idempotent=True) == {"ok": True}
        assert len(notices) == 1  # an answer ends the outage, silently

        with answering(port, [503, 503]):
            assert session.call("/identity", method="GET", idempotent=True) == {"ok": True}
        assert len(notices) == 2 and "is busy or failing (busy)" in notices[1]

        with pytest.raises(CommError):
            session.call("/identity", method="GET", idempotent=True)
        assert len(notices) == 3 and "does not answer" in notices[2]  # a new outage is told again
    finally:
        session.close()


def test_no_notice_without_a_listener_and_none_when_the_first_try_works() -> None:
    port = free_port()
    notices: list[str] = []
    session = ApiSession(f"http://127.0.0.1:{port}", "k", retries=2, backoff=0.01, notice=notices.append)
    quiet = ApiSession(f"http://127.0.0.1:{port}", "k", retries=2, backoff=0.01)
    try:
        with answering(port, []):
            session.call("/identity", method="GET", idempotent=True)
        assert notices == []
        with pytest.raises(CommError):
            quiet.call("/identity", method="GET", idempotent=True)  # no notice callback: nothing said
    finally:
        session.close()
        quiet.close()
