"""Logging in to a server: check that the key opens it, then save it in the login file.
``archivist login`` and ``archivist.login()`` both do this, so they store the same."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from archivist.client.admin import AdminClient
from archivist.client.credentials import credentials_path, normalise_url, save_login
from archivist.core.accounts_api import AccountsApi


@dataclass(frozen=True)
class Login:
    base_url: str
    user: str
    path: str
    """The login file the key was saved in."""


def key_owner(base_url: str, api_key: str) -> str:
    """The user the server says ``api_key`` belongs to (``AuthenticationError`` if nobody)."""
    client = AdminClient(base_url, api_key.strip())
    try:  # AdminClient's calls are installed from AccountsApi's declarations
        return cast(AccountsApi, client).identity().user
    finally:
        client.close()


def log_in(config_dir: str, base_url: str, api_key: str) -> Login:
    """Check ``api_key`` (``key_owner``), then make it the saved key of ``base_url`` and
    that server the default."""
    user = key_owner(base_url, api_key)
    path = credentials_path(config_dir)
    save_login(path, base_url, api_key.strip())
    return Login(base_url=normalise_url(base_url), user=user, path=path)
