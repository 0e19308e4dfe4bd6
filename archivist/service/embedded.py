"""The embedded store: the Service running in this process over ``<home>/meta.sqlite``
and the blob folder ``<home>/blobs``, with its BlobTransfer. Several processes on one
machine may use the same home at once."""

from __future__ import annotations

import logging
import os

from archivist.core.automations import DeliveryRecord
from archivist.core.errors import InvalidInputError
from archivist.core.models import CommitRequest, CommitResult, RunRecord, RunRef, RunState, RunUpdate
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
DELIVERY_WAIT_SECONDS = 10.0
"""How long a run that ends (or a redelivery) waits for this process's automation deliveries."""
ENDED = (RunState.FINISHED, RunState.FAILED, RunState.CRASHED, RunState.KILLED)
logger = logging.getLogger("archivist")


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

    def update_run(self, ref: RunRef, update: RunUpdate) -> RunRecord:
        """As the Service's; a run that ends waits (``DELIVERY_WAIT_SECONDS`` at most) for the
        automation deliveries this process wrote, so that a script ending with its run does
        not take them with it (what is left, the next dispatcher sends)."""
        record = super().update_run(ref, update)
        if update.state in ENDED:
            self._deliver_before_returning()
        return record

    def redeliver(self, entity: str, delivery_id: str) -> DeliveryRecord:
        """As the Service's, and sent before it returns (bounded): a command that asks for a
        redelivery ends right after."""
        found = super().redeliver(entity, delivery_id)
        self._deliver_before_returning()
        return found

    def _deliver_before_returning(self) -> None:
        left = self.wait_for_deliveries(DELIVERY_WAIT_SECONDS)
        if left:
            logger.warning(f"{left} automation deliveries are still waiting; the next dispatcher sends them")

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
