"""LocalBackend: the embedded store, the Service running in this process over
``<home>/meta.sqlite`` and the blob folder ``<home>/blobs``. Several processes
on one machine may use the same home at once."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from archivist.client.backend import BlobSink
from archivist.core.settings import DEFAULT_ENTITY, Settings
from archivist.metadata.migrate import open_engine
from archivist.service.blobs import ProgressCallback
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore
from archivist.storage.syncing import make_folders

DATABASE_FILE = "meta.sqlite"
BLOBS_DIR = "blobs"


class LocalBackend(Service):
    blobs_are_local = True  # a folder store on this machine, every blob verified when written

    def __init__(self, settings: Settings) -> None:
        make_folders(settings.home)  # durably: a store whose folder a power cut loses is lost
        engine = open_engine(f"sqlite:///{os.path.join(settings.home, DATABASE_FILE)}")
        self.folder_store = LocalBlobStore(
            os.path.join(settings.home, BLOBS_DIR),
            pack_small_blobs=settings.pack_small_blobs,
            label=f"the embedded store ({settings.home})",
            reserve_bytes=settings.space_reserve,
        )
        super().__init__(engine, self.folder_store, default_entity=settings.entity or DEFAULT_ENTITY)
        self.settings = settings

    def __repr__(self) -> str:
        return f"LocalBackend({self.settings.home!r})"

    def ingest_file(self, path: str) -> tuple[str, int] | None:
        return self.folder_store.ingest_file(path)

    def open_blob_sink(self) -> BlobSink | None:
        return self.folder_store.open_sink()

    def upload_files(
        self,
        files: Sequence[tuple[str, str]],
        progress: ProgressCallback | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        """As ``Service.upload_files``, but ``held`` bytes are not hashed again: in the
        embedded store they come from this very process, hashed from those bytes."""
        self.folder_store.put_files(files, progress, held, trust_held=True)  # it validates each pair
