"""Versions: commit, resolve, read, list, edit, delete."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from archivist.core.models import CommitResult, VersionRecord
from archivist.server.auth import Who
from archivist.server.replies import api_router, reply
from archivist.server.schemas import (
    CommitBody,
    ResolveBody,
    VersionDeleteBody,
    VersionIdBody,
    VersionQueryBody,
    VersionUpdateBody,
)

router = api_router("versions")


@router.post("/versions/commit", response_model=CommitResult)
def commit_version(body: CommitBody, who: Who) -> JSONResponse:
    """Commit a version whose manifest and blobs are stored: the next dense version
    number, ``latest`` and the given aliases, the run's output edge. Identical
    content to a committed version returns that version (``created`` false)."""
    return reply(who.call("commit_version", body.to_record()))


@router.post("/versions/resolve", response_model=VersionRecord)
def resolve_version(body: ResolveBody, who: Who) -> JSONResponse:
    """``selector`` is an alias or ``vN``."""
    return reply(who.call("resolve_version", body.entity, body.project, body.collection, body.selector))


@router.post("/versions/get", response_model=VersionRecord)
def get_version(body: VersionIdBody, who: Who) -> JSONResponse:
    return reply(who.call("get_version", body.version_id))


@router.post("/versions/list", response_model=list[VersionRecord])
def list_versions(body: VersionQueryBody, who: Who) -> JSONResponse:
    return reply(who.call("list_versions", body.to_record()))


@router.post("/versions/update", response_model=VersionRecord)
def update_version(body: VersionUpdateBody, who: Who) -> JSONResponse:
    return reply(who.call("update_version", body.version_id, body.update.to_record()))


@router.post("/versions/delete", response_model=None)
def delete_version(body: VersionDeleteBody, who: Who) -> JSONResponse:
    return reply(who.call("delete_version", body.version_id, body.delete_aliases))
