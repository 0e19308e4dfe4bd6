"""Signing webhook requests, and checking a signature as a receiver does.

Every request carries ``X-Archivist-Delivery`` (the delivery id, the same on every retry),
``X-Archivist-Timestamp`` (Unix seconds) and ``X-Archivist-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``"<timestamp>.<body>"`` under the webhook's signing secret. A receiver
recomputes it over the raw body, compares in constant time, refuses a timestamp older than
a few minutes (a replayed request) and may drop a delivery id it has seen (a retry).
"""

from __future__ import annotations

import hashlib
import hmac

DELIVERY_HEADER = "X-Archivist-Delivery"
TIMESTAMP_HEADER = "X-Archivist-Timestamp"
SIGNATURE_HEADER = "X-Archivist-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signed: str,
    now: float,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Whether ``signed`` (the signature header) is this body's at this timestamp, and the
    timestamp is within ``tolerance_seconds`` of ``now`` (Unix seconds)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), signed or "")
