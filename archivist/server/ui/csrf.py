"""CSRF protection for the UI's POST forms (double-submit token).

Each browser gets a random token in a SameSite=Strict cookie; every form carries
the same token in a hidden field. A POST is accepted only when both are present
and equal. Another site can make the browser post a form, but it can neither
read the token nor (SameSite=Strict) get the cookie sent along.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from archivist.server.ui.auth import COOKIE_PATH

CSRF_COOKIE = "archivist_ui_csrf"
CSRF_FIELD = "csrf_token"
_TOKEN_BYTES = 32


def csrf_token(request: Request) -> str:
    """The browser's token; a new one (set on the response later) when it has none yet."""
    existing = getattr(request.state, "csrf_token", None)
    if existing:
        return str(existing)
    token = request.cookies.get(CSRF_COOKIE) or ""
    if len(token) < _TOKEN_BYTES:
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        request.state.new_csrf_token = token
    request.state.csrf_token = token
    return token


def remember_new_token(request: Request, response: Response) -> None:
    """Set the cookie when this request had to create a token."""
    token = getattr(request.state, "new_csrf_token", None)
    if token:
        secure = request.url.scheme == "https"
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path=COOKIE_PATH
        )


def is_valid(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())
