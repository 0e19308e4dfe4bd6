"""The embedded store: the Service running in this process over ``<home>/meta.sqlite``
and the blob folder ``<home>/blobs``, with its BlobTransfer. Several processes on one
machine may use the same home at once."""

from __future__ import annotations

import os

from archivist.core.errors import InvalidInputError
from archivist.core.models import CommitRequest, CommitResult
from archivist.core.settings import DEFAULT_ENTITY, Settings
from archivist.metadata.migrate import open_engine
from archivist.service.dispatcher import Dispatcher
from archivist.service.embedded_transfer import EmbeddedTransfer
from archivist.service.service import Service
from archivist.service.webhook_urls import UrlPolicy
from archivist.storage.local import LocalBlobStore
from archivist.storage.syncing import make_folders
from archivist.wire.cyclic_gc_pause import paused_gc

DATABASE_FILE = "meta.sqlite"
BLOBS_DIR = "blobs"


class LocalBackend(Service):
    """The Service over the embedded store's database and blob folder."""

    def __init__(self, settings: Settings) -> None:
        try:
            make_folders(settings.home)  # durably: a store whose folder a power cut loses is lost
        except (FileExistsError, NotADirectoryError, PermissionError) as error:
            reason = "permission denied" if isinstance(error, PermissionError) else "it is not a folder"
            raise InvalidInputError(
                f"ARCHIVIST_DIR {settings.home!r} cannot hold the embedded store ({reason}: "
                f"{error.filename!r}); set ARCHIVIST_DIR to a folder you may write to"
            ) from None
        engine = open_engine(f"sqlite:///{os.path.join(settings.home, DATABASE_FILE)}")
        self.folder_store = LocalBlobStore(
            os.path.join(settings.home, BLOBS_DIR),
            pack_small_blobs=settings.pack_small_blobs,
            label=f"the embedded store ({settings.home})",
            reserve_bytes=settings.space_reserve,
        )
        super().__init__(
            engine,
            self.folder_store,
            default_entity=settings.entity or DEFAULT_ENTITY,
            urls=UrlPolicy.everywhere(),  # the embedded store's user sends where they like
        )
        self.dispatcher = Dispatcher(engine, self.urls, self.delivery_policy)
        """Started by the first change of this process that writes deliveries."""
        self.settings = settings

    def __repr__(self) -> str:
        return f"LocalBackend({self.settings.home!r})"

    def commit_version(self, request: CommitRequest) -> CommitResult:
        """As the Service's; an embedded commit is short bulk work in this process: no
        collector passes over its objects."""
        with paused_gc():
            return super().commit_version(request)

    def close(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()
        super().close()

    def blob_transfer(self) -> EmbeddedTransfer:
        """The BlobTransfer over this store (bytes go straight to and from its folder)."""
        return EmbeddedTransfer(self, self.folder_store)


def open_embedded(settings: Settings) -> tuple[LocalBackend, EmbeddedTransfer]:
    """The embedded store's Backend and BlobTransfer."""
    backend = LocalBackend(settings)
    return backend, backend.blob_transfer()
