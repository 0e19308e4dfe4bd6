"""``archivist.automations``: W&B's automation shapes (``wandb.automations``).

    from archivist.automations import OnAddArtifactAlias, ArtifactEvent, SendWebhook
    event = OnAddArtifactAlias(scope=collection, filter=ArtifactEvent.alias.eq("production"))
    api.create_automation(event >> SendWebhook.from_integration(hook), name="deploy")

An event names its scope with the objects W&B uses: a collection
(``api.artifact_collection(type, name)``), a project (``api.project(name)``), a registry
(``api.registry(name)``), or an entity by its name. Filters combine with ``&``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from archivist.core.automations import (
    Action,
    ActionType,
    EventType,
    NewAutomation,
    Scope,
    ScopeType,
    scope_for,
)
from archivist.core.webhook_signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
    verify_signature,
)


@dataclass(frozen=True)
class Filter:
    """A filter of the ``core.automation_filters`` language; ``a & b`` needs both."""

    tree: Mapping[str, Any]

    def __and__(self, other: Filter) -> Filter:
        parts = [*_parts(self.tree), *_parts(other.tree)]
        return Filter({"and": parts})


def _parts(tree: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if not tree:
        return []
    return list(tree["and"]) if "and" in tree else [tree]


@dataclass(frozen=True)
class _Field:
    name: str

    def eq(self, value: str) -> Filter:
        return Filter({"field": self.name, "op": "eq", "value": value})

    def matches_regex(self, pattern: str) -> Filter:
        return Filter({"field": self.name, "op": "regex", "value": pattern})

    regex_match = matches_regex

    def contains(self, text: str) -> Filter:
        return Filter({"field": self.name, "op": "contains", "value": text})

    def in_(self, values: list[str]) -> Filter:
        return Filter(
            {"field": self.name, "op": "in", "value": [str(getattr(v, "value", v)) for v in values]}
        )

    __eq__ = eq  # type: ignore[assignment]  # W&B's ``ArtifactEvent.alias == "prod"``
    __hash__ = object.__hash__


class ArtifactEvent:
    alias = _Field("alias")
    tag = _Field("tag")


@dataclass(frozen=True)
class MetricFilter(Filter):
    """``RunEvent.metric("loss")``, then ``.avg(5)`` / ``.max(5)`` / ``.min(5)`` (the window;
    1 = the raw value), then ``.gt(0.6)`` ... or ``.changes_by(diff=...)`` ..."""

    name: str = ""
    agg: str = "MAX"
    window: int = 1

    def _window(self, agg: str, window: int) -> MetricFilter:
        return MetricFilter({}, self.name, agg, window)

    def avg(self, window: int) -> MetricFilter:
        return self._window("AVERAGE", window)

    mean = avg

    def max(self, window: int) -> MetricFilter:
        return self._window("MAX", window)

    def min(self, window: int) -> MetricFilter:
        return self._window("MIN", window)

    def _cmp(self, cmp: str, threshold: float) -> Filter:
        spec = {"name": self.name, "agg": self.agg, "window": self.window, "cmp": cmp, "threshold": threshold}
        return Filter({"metric": spec})

    def gt(self, threshold: float) -> Filter:
        return self._cmp(">", threshold)

    def gte(self, threshold: float) -> Filter:
        return self._cmp(">=", threshold)

    def lt(self, threshold: float) -> Filter:
        return self._cmp("<", threshold)

    def lte(self, threshold: float) -> Filter:
        return self._cmp("<=", threshold)

    __gt__ = gt
    __ge__ = gte
    __lt__ = lt
    __le__ = lte

    def _change(
        self, direction: str, diff: float | None, frac: float | None, prior_window: int | None
    ) -> Filter:
        if (diff is None) == (frac is None):
            raise ValueError("give exactly one of diff= (an absolute change) or frac= (a relative one)")
        spec = {
            "name": self.name,
            "agg": self.agg,
            "window": self.window,
            "prior_window": prior_window or self.window,
            "change_type": "ABSOLUTE" if diff is not None else "RELATIVE",
            "change_dir": direction,
            "threshold": diff if diff is not None else frac,
        }
        return Filter({"metric_change": spec})

    def changes_by(
        self, *, diff: float | None = None, frac: float | None = None, prior_window: int | None = None
    ) -> Filter:
        return self._change("ANY", diff, frac, prior_window)

    def increases_by(
        self, *, diff: float | None = None, frac: float | None = None, prior_window: int | None = None
    ) -> Filter:
        return self._change("INCREASE", diff, frac, prior_window)

    def decreases_by(
        self, *, diff: float | None = None, frac: float | None = None, prior_window: int | None = None
    ) -> Filter:
        return self._change("DECREASE", diff, frac, prior_window)


class RunEvent:
    name = _Field("run_name")
    user = _Field("run_user")
    state = _Field("run_state")

    @staticmethod
    def metric(name: str) -> MetricFilter:
        return MetricFilter({}, name)


def scope_of(scope: Any) -> Scope:
    """The scope an SDK object names: a collection, a project, a registry, or an entity's name."""
    if isinstance(scope, Scope):
        return scope
    if isinstance(scope, str):
        return scope_for(scope)
    full_name = getattr(scope, "full_name", None)
    if isinstance(full_name, str):  # a registry: its project of the organization
        return scope_for(scope.entity, full_name)
    if hasattr(scope, "type") and hasattr(scope, "project"):  # an artifact collection
        return scope_for(scope.entity, scope.project, scope.name)
    if hasattr(scope, "entity") and hasattr(scope, "name"):  # a project
        return scope_for(scope.entity, scope.name)
    raise TypeError(
        f"an automation's scope is a collection (api.artifact_collection), a project (api.project), "
        f"a registry (api.registry) or an entity's name; not {scope!r}"
    )


@dataclass(frozen=True)
class _Action:
    def to_action(self) -> Action:
        raise NotImplementedError


@dataclass(frozen=True)
class SendWebhook(_Action):
    """POST a JSON payload to a webhook of the scope's entity."""

    integration_id: str | None = None
    """The webhook's name (W&B: its id)."""
    request_payload: Any = None

    @classmethod
    def from_integration(cls, integration: Any, *, payload: Any = None) -> SendWebhook:
        name = integration if isinstance(integration, str) else integration.name
        return cls(name, payload)

    def to_action(self) -> Action:
        return Action(ActionType.GENERIC_WEBHOOK, self.integration_id, self.request_payload)


@dataclass(frozen=True)
class DoNothing(_Action):
    """Record the event in the history and send nothing."""

    def to_action(self) -> Action:
        return Action(ActionType.NO_OP)


@dataclass(frozen=True)
class PreparedAutomation:
    """``event >> action``: what ``api.create_automation`` saves."""

    event: _Event
    action: _Action

    def to_new(self, name: str, description: str | None, enabled: bool) -> NewAutomation:
        filter_tree = (
            dict(self.event.filter.tree)
            if isinstance(self.event.filter, Filter)
            else dict(self.event.filter or {})
        )
        return NewAutomation(
            name=name,
            scope=scope_of(self.event.scope),
            event_type=self.event.event_type,
            action=self.action.to_action(),
            filter=filter_tree,
            description=description,
            enabled=enabled,
        )


@dataclass(frozen=True)
class _Event:
    scope: Any
    filter: Filter | Mapping[str, Any] | None = None
    event_type: ClassVar[EventType] = EventType.CREATE_ARTIFACT

    def __rshift__(self, action: _Action) -> PreparedAutomation:
        if not isinstance(action, _Action):
            raise TypeError(f"an event triggers an action (SendWebhook, DoNothing), not {action!r}")
        return PreparedAutomation(self, action)

    then = __rshift__


class OnCreateArtifact(_Event):
    """A new version of a collection (in the scope) was committed."""

    event_type = EventType.CREATE_ARTIFACT


class OnLinkArtifact(_Event):
    """A version was linked into a collection (of a registry) in the scope."""

    event_type = EventType.LINK_ARTIFACT


class OnUnlinkArtifact(_Event):
    event_type = EventType.UNLINK_ARTIFACT


class OnAddArtifactAlias(_Event):
    """An alias (other than ``latest``) was added to a version; filter ``ArtifactEvent.alias``."""

    event_type = EventType.ADD_ARTIFACT_ALIAS


class OnRemoveArtifactAlias(_Event):
    event_type = EventType.REMOVE_ARTIFACT_ALIAS


class OnAddArtifactTag(_Event):
    event_type = EventType.ADD_ARTIFACT_TAG


class OnRemoveArtifactTag(_Event):
    event_type = EventType.REMOVE_ARTIFACT_TAG


class OnRunState(_Event):
    """A run of the scope finished, failed or crashed; filter ``RunEvent.state.in_([...])``."""

    event_type = EventType.RUN_STATE


class OnRunMetric(_Event):
    """A run's metric crossed a threshold or changed (``RunEvent.metric(...)``); fires at most
    once per run and automation."""

    event_type = EventType.RUN_METRIC

    def __rshift__(self, action: _Action) -> PreparedAutomation:
        tree = self.filter.tree if isinstance(self.filter, Filter) else self.filter or {}
        changed = any("metric_change" in part for part in _parts(tree))
        prepared = super().__rshift__(action)
        return PreparedAutomation(_ChangeEvent(self.scope, self.filter), action) if changed else prepared

    then = __rshift__


class _ChangeEvent(_Event):
    event_type = EventType.RUN_METRIC_CHANGE


__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ArtifactEvent",
    "DoNothing",
    "Filter",
    "MetricFilter",
    "OnAddArtifactAlias",
    "OnAddArtifactTag",
    "OnCreateArtifact",
    "OnLinkArtifact",
    "OnRemoveArtifactAlias",
    "OnRemoveArtifactTag",
    "OnRunMetric",
    "OnRunState",
    "OnUnlinkArtifact",
    "PreparedAutomation",
    "RunEvent",
    "ScopeType",
    "SendWebhook",
    "signature",
    "verify_signature",
]
