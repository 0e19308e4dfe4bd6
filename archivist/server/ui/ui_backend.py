"""What the web UI calls: the metadata calls of ``archivist.core.backend`` and reads of
stored blobs. On a server that is the Service as one user may call it
(``archivist.service.authorized``); for ``archivist ui`` the embedded store's Service."""

from __future__ import annotations

from typing import Protocol

from archivist.core.backend import Backend
from archivist.core.progress import Progress


class UiBackend(Backend, Protocol):
    """The metadata calls and the Service's reads of stored blobs."""

    def read_bytes(self, digest: str) -> bytes:
        """A small blob (a manifest) in memory."""
        ...

    def download_blob(self, digest: str, dest_path: str, progress: Progress | None = None) -> None:
        """Write the blob to ``dest_path``, replacing what is there."""
        ...

    def local_blob_path(self, digest: str) -> str | None:
        """The store's own file of the blob; None for a blob in a pack or an object store."""
        ...
