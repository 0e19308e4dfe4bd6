"""Runs: create/resume, update, read, list, history rows and saved files."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from archivist.core.models import RunFile, RunRecord
from archivist.server.auth import Who
from archivist.server.replies import api_router, reply
from archivist.server.schemas import (
    HistoryAppendBody,
    HistoryReadBody,
    ProjectBody,
    RunBody,
    RunFilesBody,
    RunSpecBody,
    RunUpdateBody,
)

router = api_router("runs")


@router.post("/runs/upsert", response_model=RunRecord)
def upsert_run(body: RunSpecBody, who: Who) -> JSONResponse:
    """Create the run, or mark an existing one with the same id running again (resume)."""
    return reply(who.call("upsert_run", body.to_record()))


@router.post("/runs/update", response_model=RunRecord)
def update_run(body: RunUpdateBody, who: Who) -> JSONResponse:
    return reply(who.call("update_run", body.ref.to_record(), body.update.to_record()))


@router.post("/runs/get", response_model=RunRecord)
def get_run(body: RunBody, who: Who) -> JSONResponse:
    return reply(who.call("get_run", body.ref.to_record()))


@router.post("/runs/list", response_model=list[RunRecord])
def list_runs(body: ProjectBody, who: Who) -> JSONResponse:
    return reply(who.call("list_runs", body.entity, body.project))


@router.post("/runs/history/append", response_model=None)
def append_history(body: HistoryAppendBody, who: Who) -> JSONResponse:
    """Append metric rows; each row carries its ``_step``."""
    return reply(who.call("append_history", body.ref.to_record(), body.rows))


@router.post("/runs/history/read", response_model=list[dict[str, Any]])
def read_history(body: HistoryReadBody, who: Who) -> JSONResponse:
    """Rows with min_step <= _step < max_step, in step order, at most ``limit``."""
    ref = body.ref.to_record()
    return reply(who.call("read_history", ref, body.min_step, body.max_step, body.limit))


@router.post("/runs/files/add", response_model=None)
def add_run_files(body: RunFilesBody, who: Who) -> JSONResponse:
    """Attach stored blobs to a run under a path; replaces same paths."""
    files = [file.to_record() for file in body.files]
    return reply(who.call("add_run_files", body.ref.to_record(), files))


@router.post("/runs/files/list", response_model=list[RunFile])
def list_run_files(body: RunBody, who: Who) -> JSONResponse:
    return reply(who.call("list_run_files", body.ref.to_record()))
