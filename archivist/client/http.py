"""HttpBackend: the Backend protocol spoken to an Archivist server.

Each metadata call is one JSON request to the route its declaration names under /api/v1,
its method derived from that declaration (``archivist.client.remote_calls``). The bytes of
blobs go through ``archivist.client.transfer.http_blob_transfer.HttpBlobTransfer``, over
this backend's session and the transfers the server plans (``transfers``).
"""

from __future__ import annotations

from typing import Any

from archivist.client.http_session import ApiSession
from archivist.client.remote_calls import install_remote_calls
from archivist.client.transfer.planned_transfers import DirectTransfers
from archivist.core.accounts import Identity
from archivist.core.api import BACKEND_CALLS
from archivist.core.record_json import from_dict


class HttpBackend:
    """The Backend protocol over HTTP (see the module docstring)."""

    def __init__(
        self, base_url: str, api_key: str | None, journal_dir: str | None = None, **session_options: Any
    ) -> None:
        """``journal_dir``: where open multipart uploads are remembered, to resume them."""
        self.session = ApiSession(base_url, api_key, **session_options)
        self.transfers = DirectTransfers(self.session, journal_dir)
        self._identity: Identity | None = None

    def __repr__(self) -> str:
        return f"HttpBackend({self.session.base_url!r})"

    @property
    def base_url(self) -> str:
        return self.session.base_url

    def _call(self, path: str, payload: object = None, *, idempotent: bool = True) -> Any:
        return self.session.call(path, payload, idempotent=idempotent)

    # --- identity -------------------------------------------------------------------------
    def identity(self) -> Identity:
        """Who the API key belongs to (asked once per backend)."""
        if self._identity is None:
            answer = self.session.call("/identity", method="GET", idempotent=True)
            self._identity = from_dict(Identity, answer)
        return self._identity

    def default_entity(self) -> str:
        return self.identity().default_entity

    # The metadata calls (runs, versions, collections, lineage) are derived from their
    # declarations in ``archivist.core.backend`` by ``install_remote_calls`` below.

    def wait_for_deliveries(self, timeout: float) -> int:
        """The server's dispatchers deliver what this process's changes wrote."""
        return 0

    def close(self) -> None:
        self.transfers.close()
        self.session.close()


install_remote_calls(HttpBackend, BACKEND_CALLS)
