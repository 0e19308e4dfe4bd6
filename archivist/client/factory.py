"""Choosing the Backend for a process's settings."""

from __future__ import annotations

from archivist.client.backend import Backend
from archivist.core.errors import InvalidInputError
from archivist.core.settings import Settings


def open_backend(settings: Settings) -> Backend:
    """The embedded store under ``settings.home``, or (soon) a server at ``settings.base_url``."""
    if settings.base_url is None:
        from archivist.client.local import LocalBackend

        return LocalBackend(settings)
    raise InvalidInputError(
        f"ARCHIVIST_BASE_URL is set to {settings.base_url!r}, but the HTTP backend is not available "
        f"yet; unset it to use the embedded store at {settings.home}"
    )
