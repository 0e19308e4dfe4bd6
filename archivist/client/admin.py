"""AdminClient: a server's accounts API -- users, API keys, teams -- for the CLI. Each method is
derived from its declaration in ``archivist.core.accounts_api`` (``remote_calls``)."""

from __future__ import annotations

from archivist.client.http_session import ApiSession
from archivist.client.remote_calls import install_remote_calls
from archivist.core.api import ACCOUNT_CALLS


class AdminClient:
    def __init__(self, base_url: str, api_key: str | None) -> None:
        self.session = ApiSession(base_url, api_key, retries=2)

    def close(self) -> None:
        self.session.close()


install_remote_calls(AdminClient, ACCOUNT_CALLS)
