"""``http(s)://`` references, read with httpx.

Adding one reads the response headers only (the body is never fetched): the
digest is the ``ETag`` without quotes, or the URL when the server sends none;
the size is ``Content-Length``; ``extra.etag`` keeps the raw header. A URL is
one object, never expanded like a folder. Drift is detected by ETag, and by
size when the server sends no ETag. Requests ask for ``identity`` encoding so
sizes are those of the bytes written.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

from archivist.core.errors import (
    AuthenticationError,
    CommError,
    IntegrityError,
    InvalidInputError,
    PathNotFoundError,
    PermissionDeniedError,
)
from archivist.core.manifest import Entry
from archivist.sdk.references.base import digest_is_uri, first_line, single_name, strip_etag

_HEADERS = {"Accept-Encoding": "identity"}
_GONE = (404, 410)
_NO_HEAD = (405, 501)


class HttpReferenceHandler:
    """One URL, one entry."""

    cache_downloads = True

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self._client: Any = None
        self._lock = threading.Lock()

    def store(self, uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Entry]:
        parts = urlsplit(uri)
        if not parts.hostname:
            raise InvalidInputError(f"URL reference {uri!r} names no host; use {self.scheme}://host/path")
        logical = single_name(name, unquote(parts.path), uri)
        if not checksum:
            return [Entry(path=logical, digest=uri, size=0, ref=uri)]
        with self._request("GET", uri) as response:
            self._raise_for_status(response, uri)
            raw_etag = response.headers.get("ETag")
            size = _content_length(response)
        extra = {"etag": raw_etag} if raw_etag else {}
        return [Entry(path=logical, digest=strip_etag(raw_etag) or uri, size=size or 0, ref=uri, extra=extra)]

    def load(self, entry: Entry, dest_path: str) -> None:
        uri = entry.ref or ""
        with self._request("GET", uri) as response:
            self._raise_for_status(response, uri, entry)
            reason = _mismatch(entry, response)
            if reason is not None:
                raise IntegrityError(f"Digest mismatch for reference {entry.path!r}: {reason}")
            length = _content_length(response)
            written = 0
            with open(dest_path, "wb") as out:
                for chunk in response.iter_bytes(1024 * 1024):
                    out.write(chunk)
                    written += len(chunk)
        if length is not None and written != length:
            raise CommError(f"download of {uri} stopped after {written} of {length} bytes")
        if length is None and entry.digest == uri and entry.size and written != entry.size:
            raise IntegrityError(
                f"Digest mismatch for reference {entry.path!r}: {uri} is {written} bytes now, "
                f"{entry.size} when it was logged"
            )

    def check(self, entry: Entry) -> str | None:
        uri = entry.ref or ""
        with self._request("HEAD", uri) as response:
            if response.status_code not in _NO_HEAD:
                return self._status_problem(response) or _mismatch(entry, response)
        with self._request("GET", uri) as response:  # a server that refuses HEAD: read headers only
            return self._status_problem(response) or _mismatch(entry, response)

    def records_checksum(self, entry: Entry) -> bool:
        return not digest_is_uri(entry) or entry.size > 0

    # --- helpers ---------------------------------------------------------------------
    @contextmanager
    def _request(self, method: str, uri: str) -> Iterator[Any]:
        client = self._http_client()
        import httpx

        try:
            with client.stream(method, uri, headers=_HEADERS) as response:
                yield response
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
            raise InvalidInputError(f"URL reference {uri!r} is malformed: {first_line(error)}") from None
        except httpx.HTTPError as error:
            raise CommError(f"cannot read {uri}: {first_line(error)}") from None

    def _http_client(self) -> Any:
        with self._lock:
            if self._client is None:
                import httpx  # a base dependency

                self._client = httpx.Client(follow_redirects=True, timeout=httpx.Timeout(60.0, connect=10.0))
            return self._client

    def _status_problem(self, response: Any) -> str | None:
        if response.status_code in _GONE:
            return f"{response.url} does not exist any more (HTTP {response.status_code})"
        if response.status_code >= 400:
            return f"{response.url} answers HTTP {response.status_code}"
        return None

    def _raise_for_status(self, response: Any, uri: str, entry: Entry | None = None) -> None:
        status = response.status_code
        what = f"reference {entry.path!r}: {uri}" if entry is not None else uri
        if status in _GONE:
            raise PathNotFoundError(f"{what} does not exist (HTTP {status})")
        if status == 401:
            raise AuthenticationError(f"{what} needs authentication (HTTP 401)")
        if status == 403:
            raise PermissionDeniedError(f"{what}: access denied (HTTP 403)")
        if status >= 400:
            raise CommError(f"{what} answered HTTP {status}")


def _content_length(response: Any) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None


def _mismatch(entry: Entry, response: Any) -> str | None:
    """Why the response no longer matches the entry, from its headers alone."""
    if not digest_is_uri(entry):
        now = strip_etag(response.headers.get("ETag"))
        if now != entry.digest:
            shown = now if now is not None else "none"
            return f"{entry.ref} changed since it was logged (ETag now {shown}, logged {entry.digest})"
        return None
    length = _content_length(response)
    if entry.size and length is not None and length != entry.size:
        return f"{entry.ref} changed since it was logged ({length} bytes now, {entry.size} logged)"
    return None
