"""Deleting a version deletes the links that name it (``service.links``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Select, select, update

from archivist.core.artifact_events import EventType
from archivist.core.models import VersionState
from archivist.core.paths import LATEST
from archivist.metadata.schema import versions
from archivist.service.aliases import aliases_of, point_latest_at_newest, remove_aliases
from archivist.service.artifact_events import record_event
from archivist.service.timestamps import utc_now

_DELETED = VersionState.DELETED.value


def remove_links(connection: Connection, source_ids: Iterable[int] | Select[Any]) -> None:
    """Delete the links of these (deleted) versions (ids, or a select of ids); ``latest``
    moves in their collections."""
    ids = source_ids if isinstance(source_ids, Select) else list(source_ids)
    rows = connection.execute(
        select(versions.c.id, versions.c.collection_id).where(
            versions.c.source_version_id.in_(ids), versions.c.state != _DELETED
        )
    ).all()
    moved_latest: set[int] = set()
    now = utc_now()
    for link_id, collection_id in rows:
        if LATEST in aliases_of(connection, link_id):
            moved_latest.add(collection_id)
        remove_aliases(connection, link_id)
        connection.execute(
            update(versions)
            .where(versions.c.id == link_id)
            .values(state=_DELETED, updated_at=now, deleted_at=now)
        )
        record_event(connection, EventType.UNLINK_ARTIFACT, collection_id, previous_version_id=link_id)
    for collection_id in moved_latest:
        point_latest_at_newest(connection, collection_id)
