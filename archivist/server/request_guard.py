"""Limits before work: who is calling is settled, and how much they may send is known,
before a byte of the request body is read.

``RequestGuard`` is the outermost ASGI layer of the API. For every route under
``/api/v1`` it answers 401 at once when the request carries no live API key (the key
is looked up here, and the route reuses what was found), and for every request it
refuses a body over the route's limit with 413: at once when ``Content-Length`` says so,
otherwise as soon as the bytes received pass it (a chunked body is never buffered past
its limit). Limits per route come from ``BodyLimits``; blob uploads are bounded by the
blob's size and the uploader's quota instead (``archivist.service.blob_access``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archivist.core.errors import AuthenticationError, TooLargeError
from archivist.core.sizes import format_size
from archivist.server.errors import error_response
from archivist.server.replies import API_PREFIX
from archivist.service.accounts import authenticate
from archivist.wire.blob_frames import MAX_BLOB_SIZE

NO_KEY_MESSAGE = (
    "this server needs an API key: send 'Authorization: Bearer <key>' "
    "(set ARCHIVIST_API_KEY or run 'archivist login URL')"
)
BAD_KEY_MESSAGE = "the API key sent is not valid on this server (unknown or revoked); ask an admin for a key"
MAX_KEY_LENGTH = 512
"""A longer Authorization value is no key of this server: refused without a database query."""
UI_FORM_BYTES = 256 * 1024
"""The web UI's forms (login, edits) are small."""
UNBOUNDED: int | None = None


@dataclass(frozen=True)
class BodyLimits:
    """The largest request body each route takes, in bytes (None: no bound here)."""

    json_bytes: int
    """Every JSON route of the API (``ARCHIVIST_MAX_REQUEST_BYTES``)."""
    routes: Mapping[str, int | None] = field(
        default_factory=lambda: {
            f"POST {API_PREFIX}/blobs/upload": UNBOUNDED,  # frames, each reserved against the quota
            f"PUT {API_PREFIX}/blobs/": MAX_BLOB_SIZE,  # one blob; its Content-Length is reserved
            "POST /ui/": UI_FORM_BYTES,
        }
    )
    """Overrides by ``"METHOD path-prefix"``; the longest matching prefix wins."""

    def limit(self, method: str, path: str) -> int | None:
        route = f"{method} {path}"
        matches = [prefix for prefix in self.routes if route.startswith(prefix)]
        if matches:
            return self.routes[max(matches, key=len)]
        return self.json_bytes


class RequestGuard:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(API_PREFIX + "/"):
            refusal = await self._authenticate(scope)
            if refusal is not None:
                await _answer(scope, receive, send, 401, AuthenticationError.code, refusal)
                return
        limit = self.limits.limit(scope["method"], scope["path"])
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _answer(scope, receive, send, 413, TooLargeError.code, _too_large(scope, limit))
            return
        await self._bounded(scope, receive, send, limit)

    async def _authenticate(self, scope: Scope) -> str | None:
        """The reason to refuse the request, or None (the principal is then in the scope)."""
        key = _bearer_key(scope)
        if key is None:
            return NO_KEY_MESSAGE
        if len(key) > MAX_KEY_LENGTH:
            return BAD_KEY_MESSAGE
        engine = scope["app"].state.archivist.engine
        principal = await run_in_threadpool(authenticate, engine, key)
        if principal is None:
            return BAD_KEY_MESSAGE
        state = scope.setdefault("state", {})
        state["principal"] = principal
        state["user"] = principal.name
        return None

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app, answering 413 itself once the body passes ``limit``: the app then
        reads a disconnect, and whatever it answers to that is dropped."""
        received = 0
        started = refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not started:
                    refused = True
                    response = error_response(413, TooLargeError.code, _too_large(scope, limit))
                    await response(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def noting_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, noting_send)
        except Exception:
            if not refused:
                raise


def _bearer_key(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            header: str = value.decode("latin-1")
            scheme, _, credentials = header.partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
            return None
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _too_large(scope: Scope, limit: int) -> str:
    return (
        f"the body of {scope['method']} {scope['path']} is larger than the {format_size(limit)} "
        "this server accepts for it (a server admin sets ARCHIVIST_MAX_REQUEST_BYTES)"
    )


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str) -> None:
    headers: dict[str, Any] | None = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    await error_response(status, code, message, headers)(scope, receive, send)
