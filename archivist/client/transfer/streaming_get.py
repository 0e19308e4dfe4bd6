"""A lean streaming GET for one large blob: ``http.client`` reading into one reused buffer.

httpx reads an answer 64 KiB at a time and passes each piece through h11's buffers: a
1 GiB blob costs 16,000 rounds of Python and several copies, which on a slow CPU is
slower than the loopback link. Here each ``readinto`` fills up to ``BUFFER_BYTES`` of one
buffer that the caller hashes and writes, so a large download costs a few hundred calls.

It is used only where httpx would connect straight to the server (no proxy configured
for it). It asks for the server's blob listener (``LISTENER_ASK_HEADER``): a server that
runs one redirects a large blob there (307 to a signed, expiring URL), and the bytes come
from a second plain connection to it, without the API key, sent by the kernel
(``sendfile``) instead of through the API's event loop.

Error answers are raised by the session's own ``raise_for_error`` (the same classes, the
same retries); a connection that fails or an answer that ends early is raised as
``IncompleteAnswer`` (after a connection was made) or ``httpx.ConnectError`` (before), so
``ApiSession.with_retries`` treats them as it treats httpx's.
"""

from __future__ import annotations

import contextlib
import http.client
import urllib.parse
import urllib.request
from collections.abc import Iterator

import httpx

from archivist.client.http_session import API_PREFIX, ApiSession, IncompleteAnswer, tls_context
from archivist.core.errors import CommError
from archivist.core.transfers import LISTENER_ASK_HEADER

BUFFER_BYTES = 4 << 20
"""Bytes asked of the socket per read (what the caller hashes and writes at once)."""


def usable(session: ApiSession) -> bool:
    """Whether this plain connection reaches the server as httpx would (no proxy in between)."""
    parts = urllib.parse.urlsplit(session.base_url)
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return True
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # public, not in typeshed
    return bool(bypass(parts.hostname or "", proxies))


@contextlib.contextmanager
def get_pieces(session: ApiSession, path: str, buffers: int = 1) -> Iterator[Iterator[memoryview]]:
    """``with get_pieces(session, "/blobs/<digest>") as pieces: for piece in pieces: ...``

    Each piece is a view of one of ``buffers`` buffers filled in turn, so it stays valid
    until ``buffers`` more pieces have been asked for (a caller that writes pieces on
    another thread asks for more than one). An error answer raises before the block
    starts; one call, no retries (use it inside ``session.with_retries``).
    """
    parts = urllib.parse.urlsplit(session.base_url)
    headers = dict(session.client.headers)
    headers.pop("accept-encoding", None)  # the blob's own bytes, never re-encoded
    headers[LISTENER_ASK_HEADER] = "1"
    connection, response = _get(session, parts, f"{parts.path}{API_PREFIX}{path}", headers)
    try:
        if response.status == 307 and response.getheader("location"):
            location = urllib.parse.urlsplit(response.getheader("location", ""))
            connection.close()
            target = f"{location.path}?{location.query}"
            connection, response = _get(session, location, target, {"Accept": "application/octet-stream"})
        if response.status != 200:
            _raise_answer(session, response)
        yield _pieces(response, path, buffers)
    finally:
        connection.close()


def _get(
    session: ApiSession, parts: urllib.parse.SplitResult, target: str, headers: dict[str, str]
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """A GET of ``target`` on the host of ``parts`` and its answer's head."""
    timeout = session.client.timeout.read
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=tls_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    address = f"{parts.scheme}://{parts.netloc}"
    try:
        try:
            connection.request("GET", target, headers=headers)
        except OSError as error:
            raise httpx.ConnectError(f"cannot connect to {address}: {error}") from None
        try:
            return connection, connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            raise IncompleteAnswer(f"no answer to GET {target.partition('?')[0]}: {error}") from None
    except BaseException:
        connection.close()
        raise


def _pieces(response: http.client.HTTPResponse, path: str, buffers: int) -> Iterator[memoryview]:
    views = [memoryview(bytearray(BUFFER_BYTES)) for _ in range(buffers)]
    turn = 0
    try:
        while count := response.readinto(views[turn]):
            yield views[turn][:count]
            turn = (turn + 1) % buffers
    except (OSError, http.client.HTTPException) as error:
        raise IncompleteAnswer(f"the answer to GET {path} broke off: {error!r}") from None
    if response.length:  # http.client counts down what Content-Length promised
        raise IncompleteAnswer(f"the answer to GET {path} ended {response.length} bytes early")


def _raise_answer(session: ApiSession, response: http.client.HTTPResponse) -> None:
    """Raise what the session raises for this (non-200) answer."""
    try:
        body = response.read()
    except (OSError, http.client.HTTPException) as error:
        raise IncompleteAnswer(f"the error answer broke off: {error}") from None
    answer = httpx.Response(response.status, headers=response.getheaders(), content=body)
    session.raise_for_error(answer)
    raise CommError(f"the server at {session.base_url} answered HTTP {response.status} to GET of a blob")
