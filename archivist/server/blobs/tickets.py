"""Signed, expiring permissions to send one blob to this server's blob listener, or to
fetch one from it.

The upload plan (``POST /blobs/upload-plan``) hands a PUT ticket to a user the API has
already authenticated, just as an object store's presigned URL; ``GET /blobs/{digest}``
hands a GET ticket (a redirect) to a user who may read the blob. The listener then needs
no API key. A ticket names the method, the blob's digest and size, when it expires and the
user it was given to (for the request log), and is signed with a secret of this server
process (``hmac``, SHA-256): a ticket of another process, one that was altered, or one for
the other method is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

_WHAT = {"PUT": "upload", "GET": "download"}
_AGAIN = {"PUT": "ask for a new upload plan", "GET": "ask the API for the blob again"}


class TicketRefused(Exception):
    """The ticket is malformed, expired, or not signed by this process."""


@dataclass(frozen=True)
class Ticket:
    digest: str
    size: int
    expires: int
    """Unix seconds."""
    user: str = ""
    """Who the upload plan gave it to."""
    method: str = "PUT"
    """``PUT`` (send the blob) or ``GET`` (fetch it)."""


class BlobTickets:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def issue(
        self,
        digest: str,
        size: int,
        lifetime_seconds: int,
        user: str = "",
        now: float | None = None,
        method: str = "PUT",
    ) -> str:
        """The query string of a ticket to ``method`` (PUT or GET) ``size`` bytes of blob
        ``digest``, given to ``user``."""
        expires = int(now if now is not None else time.time()) + lifetime_seconds
        ticket = Ticket(digest, size, expires, user, method)
        query = {"size": size, "expires": expires, "user": user, "signature": self._sign(ticket)}
        return urlencode(query)

    def check(self, digest: str, query: str, now: float | None = None, method: str = "PUT") -> Ticket:
        """The ticket in ``query`` to ``method`` blob ``digest``; ``TicketRefused`` says what
        is wrong."""
        fields = parse_qs(query, keep_blank_values=True)
        values = {name: fields.get(name, [""])[-1] for name in ("size", "expires", "user", "signature")}
        if not values["size"].isdigit() or not values["expires"].isdigit():
            raise TicketRefused(f"the {_WHAT[method]} URL lacks its size or expiry: {_AGAIN[method]}")
        ticket = Ticket(digest, int(values["size"]), int(values["expires"]), values["user"], method)
        if not hmac.compare_digest(self._sign(ticket), values["signature"]):
            raise TicketRefused(
                f"the {_WHAT[method]} URL's signature does not match (it was altered, issued by "
                f"another server process, or is not for {method}): {_AGAIN[method]}"
            )
        if ticket.expires < (now if now is not None else time.time()):
            raise TicketRefused(f"the {_WHAT[method]} URL has expired: {_AGAIN[method]}")
        return ticket

    def _sign(self, ticket: Ticket) -> str:
        message = f"{ticket.method}:{ticket.digest}:{ticket.size}:{ticket.expires}:{ticket.user}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
