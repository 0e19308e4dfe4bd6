"""Automations (SPEC §8): an event in a scope, optionally filtered, triggers an action.

The records that cross the Backend protocol and the rules that need no I/O: names of
events, scopes and actions, what a filter may say (``core.automation_filters`` evaluates
it), and the webhook and delivery records. Secrets never appear in a record read back:
``WebhookRecord`` says only whether an access token is set and which secrets it has.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.core.names import MAX_NAME_LENGTH


class EventType(str, enum.Enum):
    CREATE_ARTIFACT = "CREATE_ARTIFACT"
    LINK_ARTIFACT = "LINK_ARTIFACT"
    UNLINK_ARTIFACT = "UNLINK_ARTIFACT"
    ADD_ARTIFACT_ALIAS = "ADD_ARTIFACT_ALIAS"
    REMOVE_ARTIFACT_ALIAS = "REMOVE_ARTIFACT_ALIAS"
    ADD_ARTIFACT_TAG = "ADD_ARTIFACT_TAG"
    REMOVE_ARTIFACT_TAG = "REMOVE_ARTIFACT_TAG"
    RUN_STATE = "RUN_STATE"
    RUN_METRIC = "RUN_METRIC"
    RUN_METRIC_CHANGE = "RUN_METRIC_CHANGE"

    @property
    def is_run_event(self) -> bool:
        return self in (EventType.RUN_STATE, EventType.RUN_METRIC, EventType.RUN_METRIC_CHANGE)


class ScopeType(str, enum.Enum):
    ARTIFACT_COLLECTION = "ARTIFACT_COLLECTION"
    PROJECT = "PROJECT"
    """A project, or a registry (its project ``wandb-registry-<name>``); future collections
    included."""
    ENTITY = "ENTITY"


class ActionType(str, enum.Enum):
    GENERIC_WEBHOOK = "GENERIC_WEBHOOK"
    NO_OP = "NO_OP"


class DeliveryStatus(str, enum.Enum):
    PENDING = "PENDING"
    """Waiting for its (next) attempt."""
    FINISHED = "FINISHED"
    """The receiver answered 2xx (or the action was a no-op)."""
    FAILED = "FAILED"
    """A final answer (4xx other than 429) or out of attempts; may be redelivered by hand."""


@dataclass(frozen=True)
class Scope:
    scope_type: ScopeType
    entity: str
    project: str | None = None
    collection: str | None = None

    @property
    def label(self) -> str:
        return "/".join(part for part in (self.entity, self.project, self.collection) if part)


@dataclass(frozen=True)
class Action:
    action_type: ActionType
    webhook: str | None = None
    """The name of a webhook of the scope's entity (``GENERIC_WEBHOOK``)."""
    payload: Any = None
    """A JSON template (``core.payload_templates``); None sends the event's variables."""


@dataclass(frozen=True)
class NewAutomation:
    """What ``create_automation`` and ``update_automation`` take."""

    name: str
    scope: Scope
    event_type: EventType
    action: Action
    filter: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class AutomationRecord:
    id: int
    name: str
    scope: Scope
    event_type: EventType
    action: Action
    filter: Mapping[str, Any]
    description: str | None
    enabled: bool
    created_at: str
    updated_at: str
    last_delivery_at: str | None = None


@dataclass(frozen=True)
class WebhookRecord:
    id: int
    entity: str
    name: str
    url: str
    has_access_token: bool
    secret_names: tuple[str, ...]
    created_at: str
    signing_secret: str | None = None
    """Only in the answer of ``create_webhook`` when the store generated it; never after."""


@dataclass(frozen=True)
class AttemptRecord:
    attempted_at: str
    status_code: int | None
    duration_ms: int
    response_start: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class DeliveryRecord:
    id: str
    """The delivery id sent as ``X-Archivist-Delivery`` (the same on every retry)."""
    automation: str
    event_type: EventType
    status: DeliveryStatus
    created_at: str
    next_attempt_at: str | None
    event: Mapping[str, Any]
    """The event's variables (``core.payload_templates``)."""
    attempts: tuple[AttemptRecord, ...] = ()
    hold_reason: str | None = None
    """Why a pending delivery waits although no attempt failed (its automation's rate limit)."""


SECRET_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
ACCESS_TOKEN = "ACCESS_TOKEN"
_NAME = re.compile(r"[A-Za-z0-9_\-. ]+")


def validate_automation_name(name: object, what: str = "automation name") -> str:
    if (
        not isinstance(name, str)
        or not name.strip()
        or len(name) > MAX_NAME_LENGTH
        or not _NAME.fullmatch(name)
    ):
        raise InvalidInputError(
            f"invalid {what} {name!r}: use 1 to {MAX_NAME_LENGTH} letters, digits, spaces, '_', '-' or '.'"
        )
    return name


def validate_secret_names(secrets: Mapping[str, str] | None) -> dict[str, str]:
    if secrets is None:
        return {}
    if not isinstance(secrets, Mapping):
        raise InvalidInputError(f"webhook secrets must be a mapping of NAME to value, not {secrets!r}")
    for name, value in secrets.items():
        if not isinstance(name, str) or not SECRET_NAME.fullmatch(name) or name == ACCESS_TOKEN:
            raise InvalidInputError(
                f"invalid secret name {name!r}: use upper-case letters, digits and '_' "
                f"(not {ACCESS_TOKEN!r}, which is the access token)"
            )
        if not isinstance(value, str) or not value:
            raise InvalidInputError(f"secret {name!r} needs a non-empty string value")
    return dict(secrets)


def scope_for(entity: str, project: str | None = None, collection: str | None = None) -> Scope:
    """The narrowest scope the given names make."""
    if collection is not None:
        if project is None:
            raise InvalidInputError(f"a collection scope needs the project of {collection!r}")
        return Scope(ScopeType.ARTIFACT_COLLECTION, entity, project, collection)
    if project is not None:
        return Scope(ScopeType.PROJECT, entity, project)
    return Scope(ScopeType.ENTITY, entity)


def validate_scope(scope: Scope) -> Scope:
    wanted = {
        ScopeType.ARTIFACT_COLLECTION: (True, True),
        ScopeType.PROJECT: (True, False),
        ScopeType.ENTITY: (False, False),
    }[ScopeType(scope.scope_type)]
    if (scope.project is not None, scope.collection is not None) != wanted:
        raise InvalidInputError(
            f"a {scope.scope_type.value} scope names "
            + {
                (True, True): "a project and a collection",
                (True, False): "a project and no collection",
                (False, False): "only an entity",
            }[wanted]
            + f"; got {scope.label!r}"
        )
    return scope
