"""The audit trail's vocabulary: event types and the event record (no I/O).

Every link, unlink, alias added, moved or removed, tag added or removed, version created
or deleted (and protected alias declared or dropped) is one append-only event, written in
the transaction of the change (``archivist.service.artifact_events``). Type names are the
wire names of W&B's automation events (SPEC §8) where W&B has one, so the table can feed
an automations outbox.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from archivist.core.errors import InvalidInputError


class EventType(str, enum.Enum):
    CREATE_ARTIFACT = "CREATE_ARTIFACT"
    """A new version was committed (a dedup hit creates none; its alias moves are events)."""
    DELETE_ARTIFACT = "DELETE_ARTIFACT"
    LINK_ARTIFACT = "LINK_ARTIFACT"
    UNLINK_ARTIFACT = "UNLINK_ARTIFACT"
    ADD_ARTIFACT_ALIAS = "ADD_ARTIFACT_ALIAS"
    """The alias was given to ``version``; a move when ``previous_version`` held it."""
    REMOVE_ARTIFACT_ALIAS = "REMOVE_ARTIFACT_ALIAS"
    ADD_ARTIFACT_TAG = "ADD_ARTIFACT_TAG"
    REMOVE_ARTIFACT_TAG = "REMOVE_ARTIFACT_TAG"
    ADD_PROTECTED_ALIAS = "ADD_PROTECTED_ALIAS"
    """A registry declared the alias protected (no collection)."""
    REMOVE_PROTECTED_ALIAS = "REMOVE_PROTECTED_ALIAS"
    OVERRIDE_PROMOTION_RULE = "OVERRIDE_PROMOTION_RULE"
    """A registry admin gave ``version`` the protected ``alias`` although it failed the
    alias's promotion rule; ``note``: their reason and the comparisons that failed."""


EVENT_TYPES = tuple(kind.value for kind in EventType)


@dataclass(frozen=True)
class ArtifactEvent:
    """One change, as the history lists it (newest first)."""

    id: int
    event_type: str
    created_at: str
    actor: str
    entity: str
    project: str
    collection: str | None
    alias: str | None = None
    tag: str | None = None
    version: str | None = None
    """``vN`` after the change: the alias's holder, the version created or linked."""
    previous_version: str | None = None
    """``vN`` before: the alias's former holder, the version unlinked or deleted."""
    note: str | None = None


def validate_event_types(values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise InvalidInputError(f"event_types must be a list of event type names, not {values!r}")
    unknown = [value for value in values if value not in EVENT_TYPES]
    if unknown:
        raise InvalidInputError(f"unknown event type {unknown[0]!r}; the types are {list(EVENT_TYPES)}")
    return tuple(dict.fromkeys(values))


def parse_moment(value: object, name: str = "as_of") -> dt.datetime:
    """An aware UTC datetime from a datetime or an ISO-8601 string; a naive value is UTC."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError(
                f"{name} {value!r} is not a time: give a datetime or an ISO-8601 string such as "
                "'2026-12-07T10:30:00+00:00'"
            ) from None
    else:
        raise InvalidInputError(f"{name} must be a datetime or an ISO-8601 string, not {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)
