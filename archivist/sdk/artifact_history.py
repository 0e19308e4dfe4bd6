"""The audit trail from the SDK: time travel (``Api.artifact(path, as_of=...)``) and a
collection's history (``ArtifactCollection.history()``), both answered by the store
(``service.history``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from archivist.core.artifact_events import ArtifactEvent, parse_moment
from archivist.core.models import VersionRecord
from archivist.core.paths import parse_artifact_path

if TYPE_CHECKING:
    from archivist.sdk.context import Context


def resolve_as_of(
    ctx: Context, text: str, entity: str, project: str, as_of: dt.datetime | str
) -> VersionRecord:
    """The version ``text`` (``name:alias``, ``name:latest``, ``name:vN``) named at ``as_of``
    (a datetime, naive meaning UTC, or an ISO-8601 string)."""
    path = parse_artifact_path(text, linked_names=True).with_defaults(entity, project)
    assert path.entity is not None and path.project is not None
    moment = parse_moment(as_of).isoformat()
    return ctx.backend.resolve_version_as_of(path.entity, path.project, path.name, path.selector, moment)


class CollectionHistory:
    """A collection's events, newest first, fetched ``per_page`` at a time as iterated.

    Each item is an ``ArtifactEvent``: ``event_type`` (``LINK_ARTIFACT``, ``ADD_ARTIFACT_ALIAS``,
    ...), ``created_at``, ``actor``, ``alias`` or ``tag``, and ``version``/``previous_version``
    (``vN`` after and before the change)."""

    def __init__(
        self,
        ctx: Context,
        entity: str,
        project: str,
        collection: str,
        alias: str | None = None,
        event_types: Sequence[str] = (),
        per_page: int = 50,
    ) -> None:
        self._ctx = ctx
        self._where = (entity, project, collection)
        self._alias = alias
        self._event_types = tuple(event_types)
        self._per_page = per_page

    def __iter__(self) -> Iterator[ArtifactEvent]:
        before: int | None = None
        while True:
            page = self._ctx.backend.collection_history(
                *self._where,
                alias=self._alias,
                event_types=self._event_types,
                before=before,
                limit=self._per_page,
            )
            yield from page
            if len(page) < self._per_page:
                return
            before = page[-1].id

    def __repr__(self) -> str:
        return f"<CollectionHistory {'/'.join(self._where)}>"
