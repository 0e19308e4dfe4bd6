"""Signed, expiring permissions to send one blob to this server's blob listener.

The upload plan (``POST /blobs/upload-plan``) hands a ticket to a user the API has
already authenticated, just as an object store's presigned URL; the listener then
needs no API key. A ticket names the blob's digest and size, when it expires and the user
it was given to (for the request log), and is signed with a secret of this server process
(``hmac``, SHA-256): a ticket of another process, or one that was altered, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode


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


class BlobTickets:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def issue(
        self, digest: str, size: int, lifetime_seconds: int, user: str = "", now: float | None = None
    ) -> str:
        """The query string of a ticket for ``size`` bytes of blob ``digest``, given to ``user``."""
        expires = int(now if now is not None else time.time()) + lifetime_seconds
        ticket = Ticket(digest, size, expires, user)
        query = {"size": size, "expires": expires, "user": user, "signature": self._sign(ticket)}
        return urlencode(query)

    def check(self, digest: str, query: str, now: float | None = None) -> Ticket:
        """The ticket in ``query`` for blob ``digest``; ``TicketRefused`` says what is wrong."""
        fields = parse_qs(query, keep_blank_values=True)
        values = {name: fields.get(name, [""])[-1] for name in ("size", "expires", "user", "signature")}
        if not values["size"].isdigit() or not values["expires"].isdigit():
            raise TicketRefused("the upload URL lacks its size or expiry: ask for a new upload plan")
        ticket = Ticket(digest, int(values["size"]), int(values["expires"]), values["user"])
        if not hmac.compare_digest(self._sign(ticket), values["signature"]):
            raise TicketRefused(
                "the upload URL's signature does not match (it was altered, or issued by another "
                "server process): ask for a new upload plan"
            )
        if ticket.expires < (now if now is not None else time.time()):
            raise TicketRefused("the upload URL has expired: ask for a new upload plan")
        return ticket

    def _sign(self, ticket: Ticket) -> str:
        message = f"{ticket.digest}:{ticket.size}:{ticket.expires}:{ticket.user}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
