"""LocalBackend: the embedded store, the Service running in this process over
``<home>/meta.sqlite`` and the blob folder ``<home>/blobs``. Several processes
on one machine may use the same home at once."""

from __future__ import annotations

import os

from archivist.core.settings import DEFAULT_ENTITY, Settings
from archivist.metadata.engine import open_engine
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore

DATABASE_FILE = "meta.sqlite"
BLOBS_DIR = "blobs"


class LocalBackend(Service):
    def __init__(self, settings: Settings) -> None:
        os.makedirs(settings.home, exist_ok=True)
        engine = open_engine(f"sqlite:///{os.path.join(settings.home, DATABASE_FILE)}")
        store = LocalBlobStore(os.path.join(settings.home, BLOBS_DIR))
        super().__init__(engine, store, default_entity=settings.entity or DEFAULT_ENTITY)
        self.settings = settings

    def __repr__(self) -> str:
        return f"LocalBackend({self.settings.home!r})"
