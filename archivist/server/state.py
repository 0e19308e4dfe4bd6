"""What every request of one server process shares: the database, the blob store
and the service over them. Nothing here caches data, so several processes over
the same database and store always agree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from archivist.server.blobs.listener import BlobListener
from archivist.server.config import ServerConfig
from archivist.service.service import Service
from archivist.storage.base import BlobStore


@dataclass(frozen=True)
class ServerState:
    config: ServerConfig
    engine: Engine
    store: BlobStore
    service: Service
    public_message: Callable[[str], str]
    """Takes the server's paths out of a message it sends (``archivist.server.public_messages``)."""
    blob_listener: BlobListener | None = None
    """Takes large uploads on a port of its own while it runs (``config.blob_port``)."""
