"""The History section of a collection page: its audit trail, newest first, a page at a
time (``history_before`` continues it), optionally of one alias."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import RedirectResponse

from archivist.core.artifact_events import ArtifactEvent
from archivist.core.errors import InvalidInputError
from archivist.server.ui import urls
from archivist.server.ui.state import Page

EVENTS_PER_PAGE = 20
EVENT_LABELS = {
    "CREATE_ARTIFACT": "created",
    "DELETE_ARTIFACT": "deleted",
    "LINK_ARTIFACT": "linked",
    "UNLINK_ARTIFACT": "unlinked",
    "ADD_ARTIFACT_ALIAS": "alias set",
    "REMOVE_ARTIFACT_ALIAS": "alias removed",
    "ADD_ARTIFACT_TAG": "tag added",
    "REMOVE_ARTIFACT_TAG": "tag removed",
    "ADD_PROTECTED_ALIAS": "alias protected",
    "REMOVE_PROTECTED_ALIAS": "alias unprotected",
    "OVERRIDE_PROMOTION_RULE": "rule overridden",
}


@dataclass(frozen=True)
class HistorySection:
    events: list[ArtifactEvent]
    alias: str
    older: int | None
    """The ``history_before`` of the next page, None on the last."""


def history_section(
    page: Page, entity: str, project: str, name: str, alias: str, before: str
) -> HistorySection:
    cursor = None
    if before.strip():
        if not before.strip().isdigit():
            raise InvalidInputError(f"invalid history_before {before!r}: use an event id")
        cursor = int(before.strip())
    events = page.backend.collection_history(
        entity, project, name, alias=alias.strip() or None, before=cursor, limit=EVENTS_PER_PAGE + 1
    )
    older = events[EVENTS_PER_PAGE - 1].id if len(events) > EVENTS_PER_PAGE else None
    return HistorySection(events[:EVENTS_PER_PAGE], alias.strip(), older)


def go_to_version(
    page: Page, entity: str, project: str, name: str, q: str, as_of: str
) -> RedirectResponse | None:
    """The go-to form's answer: the page of the version ``q`` (an alias or ``vN``) names, or
    named at ``as_of`` when given; None when ``q`` is empty (no lookup asked)."""
    if not q.strip():
        return None
    if as_of.strip():
        version = page.backend.resolve_version_as_of(entity, project, name, q.strip(), as_of.strip())
    else:
        version = page.backend.resolve_version(entity, project, name, q.strip())
    return RedirectResponse(urls.version_url(version), status_code=303)
