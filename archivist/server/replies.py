"""Answers of the API routes: records in their ``to_dict`` form."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from archivist.core.models import to_dict

API_PREFIX = "/api/v1"


def reply(value: object) -> JSONResponse:
    """A record, a list of records or a plain value as JSON."""
    return JSONResponse(to_dict(value))


def api_router(tag: str) -> APIRouter:
    return APIRouter(prefix=API_PREFIX, tags=[tag])
