"""Answers of the API routes: records in their ``to_dict`` form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from archivist.core.json_values import dumps
from archivist.core.models import to_dict

API_PREFIX = "/api/v1"


class ValuesResponse(JSONResponse):
    """JSON whose values may hold ±infinity (a summary, metadata): written as ±9e999,
    which stays standard JSON (``archivist.core.json_values.dumps``)."""

    def render(self, content: Any) -> bytes:
        return dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def reply(value: object) -> JSONResponse:
    """A record, a list of records or a plain value as JSON."""
    return ValuesResponse(to_dict(value))


def api_router(tag: str) -> APIRouter:
    return APIRouter(prefix=API_PREFIX, tags=[tag])
