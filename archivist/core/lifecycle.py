"""What deletion, TTL and retention mean, without I/O (SPEC §6).

TTL policy of a version, as it travels and as it is stored: a positive number of seconds
(its own TTL), ``TTL_INHERIT`` (the entity's default TTL applies; the default for a new
version) or ``TTL_DISABLED`` (no TTL, even when the entity has a default). A version
expires at ``created_at + ttl``: changing the TTL later does not reset the clock.

A retention rule of a collection keeps its last ``keep_last`` versions and/or those
younger than ``max_age_seconds`` (a version is kept when every rule that is set keeps it);
versions that hold an alias other than ``latest``, are linked to a registry, or were used
by a run that logged a version still kept are always kept.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from archivist.core.errors import InvalidInputError

TTL_INHERIT = -1
TTL_DISABLED = -2
GENERATED_TYPES = ("run_table", "code", "job")
"""Types Archivist (and W&B) generate itself; with ``wandb-*`` they take no TTL."""

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def validate_ttl_policy(value: object) -> int:
    """A TTL policy in its wire form; None means disabled (W&B's ``ttl = None``)."""
    if value is None:
        return TTL_DISABLED
    if isinstance(value, bool) or not isinstance(value, int) or (value <= 0 and value not in _POLICIES):
        raise InvalidInputError(
            f"invalid ttl_seconds {value!r}: use a positive whole number of seconds, "
            f"{TTL_INHERIT} (inherit the team default) or {TTL_DISABLED} (no TTL)"
        )
    return value


_POLICIES = (TTL_INHERIT, TTL_DISABLED)


TTL_EDITORS = ("admins", "members")
"""Who may set TTLs in a team (SPEC §6): its admins only, or admins and members (the
default). A TTL a caller may not set does not apply; the rest of their change does."""
DEFAULT_TTL_EDITORS = "members"


def validate_ttl_editors(value: object) -> str:
    if not isinstance(value, str) or value.strip().lower() not in TTL_EDITORS:
        raise InvalidInputError(f"invalid TTL editors {value!r}: use one of {', '.join(TTL_EDITORS)}")
    return value.strip().lower()


def effective_ttl(policy: int | None, entity_default: int | None) -> int | None:
    """The TTL in seconds a version with ``policy`` has (None: it never expires). A stored
    NULL policy is an inherited one (versions logged before policies were told apart)."""
    if policy is None or policy == TTL_INHERIT:
        return entity_default if entity_default and entity_default > 0 else None
    return policy if policy > 0 else None


def ttl_refusal(type_name: str, is_link: bool) -> str | None:
    """Why a version cannot take a TTL (None: it can)."""
    if is_link:
        return "Cannot set TTL for link artifact"
    if type_name in GENERATED_TYPES or type_name.startswith("wandb-"):
        return f"Cannot set TTL for artifact of generated type {type_name!r}"
    return None


def validate_default_ttl(value: object) -> int | None:
    """A team default TTL: None (none) or a positive whole number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInputError(
            f"invalid default TTL {value!r}: use None or a positive whole number of seconds"
        )
    return value


def parse_duration(text: str) -> int:
    """``30d`` -> seconds; units s, m, h, d, w (none: seconds)."""
    found = _DURATION.match(text)
    if found is None or int(found.group(1)) <= 0:
        raise InvalidInputError(
            f"invalid duration {text!r}: use a positive whole number with a unit s, m, h, d or w (e.g. 30d)"
        )
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


def parse_moment(text: str, now: dt.datetime) -> dt.datetime:
    """A point in time: an ISO date or timestamp (UTC when it names no zone), or a duration
    back from ``now`` (``30d``: thirty days ago)."""
    if _DURATION.match(text):
        return now - dt.timedelta(seconds=parse_duration(text))
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"invalid date {text!r}: use an ISO date (2026-01-31), a timestamp or a duration such as 30d"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def parse_as_of(text: str | None) -> dt.datetime | None:
    """The moment a sweep acts as of (None: now): an ISO timestamp, UTC when it names no zone."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidInputError(f"invalid as_of {text!r}: use an ISO timestamp such as 2026-12-31T00:00:00Z")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class RetentionRule:
    """Which versions of a collection the sweep keeps (see the module docstring)."""

    keep_last: int | None = None
    max_age_seconds: int | None = None

    def __post_init__(self) -> None:
        for name in ("keep_last", "max_age_seconds"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                raise InvalidInputError(
                    f"invalid retention {name} {value!r}: use None or a positive whole number"
                )

    @property
    def is_empty(self) -> bool:
        return self.keep_last is None and self.max_age_seconds is None


@dataclass(frozen=True)
class SweptVersion:
    """A version the sweep soft-deleted (or would, in a dry run), and why."""

    id: str
    name: str
    """``entity/project/collection:vN``."""
    reason: str
    """``expired`` (its TTL ran out) or ``retention`` (its collection's rule)."""


@dataclass(frozen=True)
class SweepReport:
    deleted: tuple[SweptVersion, ...]
    skipped: tuple[str, ...] = ()
    """Versions due that could not be deleted, each with why (a protected alias)."""
    dry_run: bool = False
