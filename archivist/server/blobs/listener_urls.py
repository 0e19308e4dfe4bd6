"""Where the blob listener is reached from a client, and its ticketed URLs."""

from __future__ import annotations

from fastapi import Request

from archivist.server.blobs.listener import BlobListener


def listener_address(request: Request, listener: BlobListener | None) -> str | None:
    """``http://host:port`` of the listener by the host name the client reached the API by
    (the listener listens beside it); None when no listener runs."""
    port = None if listener is None else listener.port
    if port is None:
        return None
    host = request.url.hostname or "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def ticket_url(
    address: str, listener: BlobListener, digest: str, size: int, lifetime: int, user: str, method: str
) -> str:
    """The listener's URL that lets ``user`` ``method`` (PUT or GET) blob ``digest``."""
    query = listener.tickets.issue(digest, size, lifetime, user, method=method)
    return f"{address}/blobs/{digest}?{query}"
