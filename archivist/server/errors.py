"""Errors as the API answers them: ``{"error": {"code": ..., "message": ...}}``.

An ``ArchivistError`` keeps its class's wire code and HTTP status, so the HTTP
backend raises the very class the embedded store raises. A malformed request
is 400 ``invalid_input`` (never FastAPI's 422 with pydantic internals); a value
the database refuses is 400 too; anything unexpected is 500 ``error`` with no
internals -- the traceback goes to the server log. Messages pass through the
server's ``public_message`` (``archivist.server.public_messages``) on their way out,
so none names where the server keeps its data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from archivist.core.errors import (
    ArchivistError,
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)

logger = logging.getLogger("archivist.server")
INTERNAL_MESSAGE = "internal server error; the server's log has the details"
_CODES_BY_STATUS = {
    401: AuthenticationError.code,
    403: PermissionDeniedError.code,
    404: NotFoundError.code,
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """pydantic's error list as one line naming each bad field and its value."""
    parts = []
    for error in errors[:5]:
        location = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        shown = repr(error.get("input"))
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        parts.append(f"{location}: {error.get('msg', 'invalid')} (got {shown})")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "invalid request: " + "; ".join(parts) + more


def _archivist_error(public_message: Callable[[str], str]) -> Callable[[Request, Exception], Any]:
    async def answer(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ArchivistError)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, AuthenticationError) else None
        return error_response(error.status, error.code, public_message(error.message), headers)

    return answer


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return error_response(400, InvalidInputError.code, describe_validation_errors(error.errors()))


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code >= 500:
        return error_response(error.status_code, ArchivistError.code, INTERNAL_MESSAGE)
    code = _CODES_BY_STATUS.get(error.status_code, InvalidInputError.code)
    return error_response(error.status_code, code, str(error.detail), dict(error.headers or {}))


async def _database_refused(request: Request, error: Exception) -> JSONResponse:
    logger.info("database refused a value in %s %s: %s", request.method, request.url.path, error)
    return error_response(
        400,
        InvalidInputError.code,
        "the database refused a value of the request (too long, out of range or containing NUL characters)",
    )


async def _unexpected(_request: Request, _error: Exception) -> JSONResponse:
    # Starlette re-raises the error after this answer is sent, so the server logs its traceback.
    return error_response(500, ArchivistError.code, INTERNAL_MESSAGE)


def _unchanged(message: str) -> str:
    return message


def install_error_handlers(app: FastAPI, public_message: Callable[[str], str] = _unchanged) -> None:
    app.add_exception_handler(ArchivistError, _archivist_error(public_message))
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sqlalchemy.exc.DataError, _database_refused)
    app.add_exception_handler(OverflowError, _database_refused)
    app.add_exception_handler(Exception, _unexpected)
