"""How many webhook deliveries one automation may make in a window (SPEC §8: a
per-automation rate limit and cooldown). Deliveries over the limit wait; none is dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass

from archivist.core.errors import InvalidInputError

_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*(s|sec|min|h)\s*")
_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class DeliveryRate:
    limit: int
    """Attempts (first sends and retries) of one automation ..."""
    window_seconds: float
    """... within any window this long."""

    def describe(self) -> str:
        return f"{self.limit} per {self.window_seconds:g}s"


DEFAULT_RATE = DeliveryRate(60, 60.0)


def rate_from_text(text: str, what: str) -> DeliveryRate | None:
    """``60/min``, ``1000/h``, ``3/2s``, ``5/0.5s``; ``off`` for no limit."""
    if text.strip().lower() == "off":
        return None
    match = _RATE.fullmatch(text)
    if match is not None:
        limit, count, unit = int(match.group(1)), float(match.group(2) or 1), match.group(3)
        window = count * _UNITS[unit]
        if 1 <= limit <= 1_000_000 and 0.01 <= window <= 86400:
            return DeliveryRate(limit, window)
    raise InvalidInputError(
        f"invalid {what} {text!r}: use deliveries per window, e.g. 60/min, 1000/h, 3/2s "
        "(1 to 1000000 per 0.01s to 24h), or off"
    )
