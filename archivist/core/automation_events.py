"""What happened, as automations see it: the events a change makes, with their variables.

A mutation of the store compares the version (or run) before and after it and hands the
events this module derives to the outbox (``service.event_outbox``) in the same
transaction. ``latest`` is the store's own alias and moves on every commit: it makes no
alias events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from archivist.core.automations import EventType
from archivist.core.models import RunRecord, RunState, VersionRecord
from archivist.core.paths import LATEST

FINAL_RUN_STATES = (RunState.FINISHED, RunState.FAILED, RunState.CRASHED)


@dataclass(frozen=True)
class ChangeEvent:
    event_type: EventType
    entity: str
    project: str
    collection: str | None
    variables: Mapping[str, Any]
    """The payload variables (``core.payload_templates``) and the filter's facts."""
    run_pk: int | None = None
    metrics: tuple[str, ...] = ()
    """For a metric event: the metrics the new history rows hold."""


def version_variables(version: VersionRecord, event_type: EventType, author: str) -> dict[str, Any]:
    return {
        "event_type": event_type.value,
        "event_author": author,
        "entity_name": version.entity,
        "project_name": version.project,
        "artifact_collection_name": version.collection,
        "artifact_type": version.type,
        "artifact_version": f"wandb-artifact://_id/{version.id}",
        "artifact_version_string": f"{version.qualified_collection}:{version.version}",
        "artifact_metadata": dict(version.metadata),
        "alias": None,
        "tag": None,
    }


def _event(version: VersionRecord, event_type: EventType, author: str, **extra: Any) -> ChangeEvent:
    variables = version_variables(version, event_type, author)
    variables.update(extra)
    if extra.get("alias"):
        variables["artifact_version_string"] = f"{version.qualified_collection}:{extra['alias']}"
    return ChangeEvent(event_type, version.entity, version.project, version.collection, variables)


def version_events(
    before: VersionRecord | None, after: VersionRecord, author: str, *, linked: bool = False
) -> list[ChangeEvent]:
    """The events of a version's change: created (or linked) when ``before`` is None, then
    each alias and tag added or removed."""
    events: list[ChangeEvent] = []
    if before is None:
        kind = EventType.LINK_ARTIFACT if linked else EventType.CREATE_ARTIFACT
        events.append(_event(after, kind, author))
    old_aliases = set(before.aliases) if before else set()
    old_tags = set(before.tags) if before else set()
    for alias in after.aliases:
        if alias not in old_aliases and alias != LATEST:
            events.append(_event(after, EventType.ADD_ARTIFACT_ALIAS, author, alias=alias))
    for alias in sorted(old_aliases - set(after.aliases) - {LATEST}):
        events.append(_event(after, EventType.REMOVE_ARTIFACT_ALIAS, author, alias=alias))
    for tag in after.tags:
        if tag not in old_tags:
            events.append(_event(after, EventType.ADD_ARTIFACT_TAG, author, tag=tag))
    for tag in sorted(old_tags - set(after.tags)):
        events.append(_event(after, EventType.REMOVE_ARTIFACT_TAG, author, tag=tag))
    return events


def unlink_event(link: VersionRecord, author: str) -> ChangeEvent:
    return _event(link, EventType.UNLINK_ARTIFACT, author)


def run_variables(run: RunRecord, event_type: EventType, author: str) -> dict[str, Any]:
    return {
        "event_type": event_type.value,
        "event_author": author,
        "entity_name": run.ref.entity,
        "project_name": run.ref.project,
        "run_id": run.ref.run_id,
        "run_name": run.name,
        "run_state": run.state.value,
        "run_user": author,
    }


def run_state_event(before: RunRecord, after: RunRecord, author: str, run_pk: int) -> ChangeEvent | None:
    """A run reached finished, failed or crashed (killed runs never trigger)."""
    if after.state == before.state or after.state not in FINAL_RUN_STATES:
        return None
    variables = run_variables(after, EventType.RUN_STATE, author)
    return ChangeEvent(EventType.RUN_STATE, after.ref.entity, after.ref.project, None, variables, run_pk)


def run_metric_event(run: RunRecord, author: str, run_pk: int, metrics: tuple[str, ...]) -> ChangeEvent:
    """New values of the run's metrics arrived; which automation fires is its filter's call."""
    variables = run_variables(run, EventType.RUN_METRIC, author)
    return ChangeEvent(
        EventType.RUN_METRIC, run.ref.entity, run.ref.project, None, variables, run_pk, metrics
    )
