"""Writing the audit trail: one append-only ``artifact_events`` row per change, in the
transaction of the change (so a change that fails writes none).

The few places that change links, aliases and tags call these functions (``aliases``,
``links``, ``link_removal``, ``versions``, ``commits``, ``collections``); nothing else
writes the table and nothing updates or deletes its rows. Who made the change is the
user the service runs for (``ACTOR_OPTION`` on the connection, set once per write
transaction by ``Service``), ``local`` on the embedded store.

``latest`` moves are recorded like any alias move: a dedup hit can move ``latest`` back to
an older version, so "which version was latest at T" needs them. Tags a version is
created or linked with are part of its CREATE/LINK event, not tag events.

For protected aliases (a registry's declaration) call ``record_protection_change``; for a
promotion rule's override pass its reason as ``note``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, insert, select

from archivist.core.artifact_events import EventType
from archivist.core.settings import DEFAULT_ENTITY
from archivist.metadata.schema import artifact_events, collections
from archivist.service.timestamps import utc_now

ACTOR_OPTION = "archivist_actor"
"""Execution option on a write transaction's connection: the user name to record."""
_MOMENT_OPTION = "archivist_event_time"


def set_actor(connection: Connection, actor: str) -> None:
    connection.execution_options(**{ACTOR_OPTION: actor})


def _moment(connection: Connection) -> dt.datetime:
    """The time of the transaction's first event: every event of one change shares it."""
    moment: dt.datetime | None = connection.get_execution_options().get(_MOMENT_OPTION)
    if moment is None:
        moment = utc_now()
        connection.execution_options(**{_MOMENT_OPTION: moment})
    return moment


def actor_of(connection: Connection) -> str:
    actor: str = connection.get_execution_options().get(ACTOR_OPTION, DEFAULT_ENTITY)
    return actor


def record_event(
    connection: Connection,
    event_type: EventType,
    collection_id: int,
    *,
    version_id: int | None = None,
    previous_version_id: int | None = None,
    alias: str | None = None,
    tag: str | None = None,
    note: str | None = None,
) -> None:
    """Append one event of a collection."""
    _append(
        connection,
        collection_id,
        [
            {
                "event_type": event_type.value,
                "alias": alias,
                "tag": tag,
                "version_id": version_id,
                "previous_version_id": previous_version_id,
                "note": note,
            }
        ],
    )


def record_alias_moves(
    connection: Connection, collection_id: int, version_id: int, moves: Iterable[tuple[str, int | None]]
) -> None:
    """``ADD_ARTIFACT_ALIAS`` per (alias, former holder or None) now held by ``version_id``."""
    _append(
        connection,
        collection_id,
        [
            {
                "event_type": EventType.ADD_ARTIFACT_ALIAS.value,
                "alias": alias,
                "version_id": version_id,
                "previous_version_id": before,
            }
            for alias, before in moves
        ],
    )


def record_alias_removals(
    connection: Connection, collection_id: int, version_id: int, names: Sequence[str]
) -> None:
    _append(
        connection,
        collection_id,
        [
            {
                "event_type": EventType.REMOVE_ARTIFACT_ALIAS.value,
                "alias": name,
                "previous_version_id": version_id,
            }
            for name in names
        ],
    )


def record_tag_changes(
    connection: Connection, collection_id: int, version_id: int, before: Sequence[str], after: Sequence[str]
) -> None:
    """``ADD_ARTIFACT_TAG``/``REMOVE_ARTIFACT_TAG`` for the difference of two tag sets."""
    rows = [
        {"event_type": EventType.REMOVE_ARTIFACT_TAG.value, "tag": tag, "previous_version_id": version_id}
        for tag in before
        if tag not in after
    ] + [
        {"event_type": EventType.ADD_ARTIFACT_TAG.value, "tag": tag, "version_id": version_id}
        for tag in after
        if tag not in before
    ]
    _append(connection, collection_id, rows)


def record_protection_change(
    connection: Connection, project_id: int, alias: str, protected: bool, note: str | None = None
) -> None:
    """A registry (its project) declared ``alias`` protected, or dropped the declaration."""
    kind = EventType.ADD_PROTECTED_ALIAS if protected else EventType.REMOVE_PROTECTED_ALIAS
    connection.execute(
        insert(artifact_events).values(
            event_type=kind.value,
            created_at=_moment(connection),
            actor=actor_of(connection),
            project_id=project_id,
            alias=alias,
            note=note,
        )
    )


def _append(connection: Connection, collection_id: int, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    project_id = connection.execute(
        select(collections.c.project_id).where(collections.c.id == collection_id)
    ).scalar_one()
    common = {
        "created_at": _moment(connection),
        "actor": actor_of(connection),
        "project_id": project_id,
        "collection_id": collection_id,
    }
    keys = ("event_type", "alias", "tag", "version_id", "previous_version_id", "note")
    connection.execute(
        insert(artifact_events), [{**common, **{key: row.get(key) for key in keys}} for row in rows]
    )
