"""One pooled HTTP session with an Archivist server: JSON calls, retries, errors.

Every request carries the API key. Connections are kept alive and shared by
threads. A call is retried with exponential backoff when the request never
reached the server (connection refused, connect timeout) and -- for idempotent
calls only -- also when the connection broke, an answer ended early
(``IncompleteAnswer``) or the server answered 429 or 5xx. An error answer
``{"error": {"code", "message"}}`` is raised as the very ``ArchivistError``
class that owns the code, so callers see what the embedded store raises.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx

from archivist import __version__
from archivist.core.errors import ArchivistError, CommError, InvalidInputError, error_class_for_code
from archivist.core.json_values import dumps, json_friendly

API_PREFIX = "/api/v1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
T = TypeVar("T")


def _json_default(value: Any) -> Any:
    """JSON for the values local calls accept too (numpy numbers and arrays, dates, sets, ...:
    ``json_friendly``)."""
    return json_friendly(value, "value")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings, built once per process (building them is slow)."""
    return httpx.create_ssl_context()


def store_client(timeout: float = 300.0, max_connections: int = 32) -> httpx.Client:
    """A pooled client for presigned object-store URLs. It carries no API key: the key
    is for the Archivist server only and must never be sent to the store."""
    return httpx.Client(
        headers={"User-Agent": f"archivist/{__version__}"},
        verify=tls_context(),
        timeout=httpx.Timeout(timeout, connect=10.0),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
    )


def encode_json(payload: object) -> bytes:
    return dumps(payload, default=_json_default, separators=(",", ":")).encode("utf-8")


def error_from_response(response: httpx.Response, base_url: str) -> ArchivistError:
    """The exception an error answer stands for (``CommError`` when it is not ours)."""
    try:
        error = response.json()["error"]
        code, message = error["code"], error["message"]
        if not isinstance(code, str) or not isinstance(message, str):
            raise TypeError(code)
    except (ValueError, KeyError, TypeError):
        if "json" not in response.headers.get("content-type", ""):
            return not_an_archivist_server(response, base_url)
        text = " ".join(response.text.split())[:200]
        return CommError(f"the server at {base_url} answered HTTP {response.status_code}: {text}")
    return error_class_for_code(code)(message)


def not_an_archivist_server(response: httpx.Response, base_url: str) -> CommError:
    """What to say when the answer is not JSON at all (a web page, a proxy's error page): the
    URL names something else than an Archivist server. Its body is not quoted: it is a page
    of HTML that would bury the point."""
    kind = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    return CommError(
        f"{base_url} does not look like an Archivist server: {response.request.url.path} answered "
        f"HTTP {response.status_code} with {kind}, not JSON; check the URL (ARCHIVIST_BASE_URL, or "
        "the one given to 'archivist login')"
    )


def json_answer(response: httpx.Response, base_url: str) -> Any:
    """The decoded JSON of a successful answer; ``CommError`` when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise not_an_archivist_server(response, base_url) from None


class ApiSession:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 300.0,
        retries: int = 5,
        backoff: float = 0.25,
        max_connections: int = 32,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        """``notice``: told once per outage that calls are being retried."""
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise InvalidInputError(f"invalid server URL {base_url!r}: use http://host:port or https://host")
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.notice = notice
        self._outage_lock = threading.Lock()
        self._in_outage = False
        headers = {"User-Agent": f"archivist/{__version__}"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.client = httpx.Client(
            base_url=self.base_url + API_PREFIX,
            headers=headers,
            verify=tls_context(),
            timeout=httpx.Timeout(timeout, connect=10.0),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=True,
        )

    def __repr__(self) -> str:
        return f"ApiSession({self.base_url!r})"

    def call(self, path: str, payload: object = None, *, idempotent: bool, method: str = "POST") -> Any:
        """Send a JSON call and return the decoded JSON answer."""
        content = None if method == "GET" else encode_json(payload)
        headers = None if content is None else {"Content-Type": "application/json"}

        def send() -> Any:
            response = self.client.request(method, path, content=content, headers=headers)
            self.raise_for_error(response)
            return json_answer(response, self.base_url)

        return self.with_retries(send, idempotent=idempotent)

    @contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Iterator[httpx.Response]:
        """A streamed answer (the caller reads ``iter_bytes``); raised as an error when it is one.
        Use it inside ``with_retries``."""
        request = self.client.build_request(method, path, content=content, headers=headers)
        response = self.client.send(request, stream=True)
        try:
            if response.status_code >= 400:
                response.read()
                self.raise_for_error(response)
            yield response
        finally:
            response.close()

    def with_retries(self, attempt: Callable[[], T], *, idempotent: bool) -> T:
        """Run ``attempt`` (one request), retrying as the module docstring says."""
        for number in range(self.retries + 1):
            last = number == self.retries
            try:
                result = attempt()
            except _NEVER_SENT as error:
                if last:
                    raise CommError(
                        f"cannot reach the Archivist server at {self.base_url}: {error}"
                    ) from None
                self._retrying("does not answer", number)
            except (httpx.TransportError, IncompleteAnswer) as error:
                if last or not idempotent:
                    raise CommError(
                        f"connection to the Archivist server at {self.base_url} failed: {error}"
                    ) from None
                self._retrying("dropped the connection", number)
            except _RetryableAnswer as answer:
                if last or not idempotent:
                    raise answer.error from None
                self._retrying(f"is busy or failing ({answer})", number)
                time.sleep(max(answer.retry_after, self.backoff * 2**number))
                continue
            else:
                self._in_outage = False
                return result
            time.sleep(self.backoff * 2**number)
        raise AssertionError("unreachable")

    def _retrying(self, what: str, number: int) -> None:
        """Say once per outage that calls are retried (up to how long)."""
        if self.notice is None:
            return
        with self._outage_lock:
            if self._in_outage:
                return
            self._in_outage = True
        budget = sum(self.backoff * 2**later for later in range(number, self.retries))
        self.notice(f"the server at {self.base_url} {what}; retrying for up to {max(budget, 1):.0f} s…")

    def raise_for_error(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        error = error_from_response(response, self.base_url)
        if response.status_code in RETRY_STATUSES:
            raise _RetryableAnswer(error, _retry_after(response))
        raise error

    def close(self) -> None:
        self.client.close()


class IncompleteAnswer(Exception):
    """A streamed answer that ended before it held everything asked for although the
    connection did not fail; retried like a broken connection."""


class _RetryableAnswer(Exception):
    def __init__(self, error: ArchivistError, retry_after: float) -> None:
        super().__init__(str(error))
        self.error, self.retry_after = error, retry_after


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("Retry-After", "0")), 60.0)
    except ValueError:
        return 0.0
