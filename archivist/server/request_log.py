"""Structured request logs: one JSON line per request on the ``archivist.server.requests``
logger, with method, path, status, duration_ms, user (null before authentication) and
bytes_in (the request body bytes the server received)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_LOGGER = "archivist.server.requests"
CLIENT_CLOSED_STATUS = 499
"""Logged when the client went away before an answer was sent."""


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = CLIENT_CLOSED_STATUS
        received = 0

        async def receive_and_count() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive_and_count, send_and_note_status)
        except BaseException:
            status = 500 if status == CLIENT_CLOSED_STATUS else status
            raise
        finally:
            self._log(scope, status, started, received)

    def _log(self, scope: Scope, status: int, started: float, received: int) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        log_request(scope["method"], scope["path"], status, started, state.get("user"), received)


def log_request(
    method: str, path: str, status: int, started: float, user: str | None, received: int, **more: str
) -> None:
    """One request's line (``started``: its ``time.perf_counter()``); ``more`` adds fields."""
    logger = logging.getLogger(REQUEST_LOGGER)
    if not logger.isEnabledFor(logging.INFO):
        return
    line = {
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "user": user,
        "bytes_in": received,
        **more,
    }
    logger.info(json.dumps(line, separators=(",", ":")))


def configure_request_logging(level: int = logging.INFO) -> None:
    """Send the request log (and the server's own messages) to stderr as bare lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in (REQUEST_LOGGER, "archivist.server"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
