"""The Service: every operation of the Backend protocol over one metadata
database and one BlobStore, each call in one transaction (the calls are in the ``*_calls``
mixins it inherits, one per area)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from archivist.core.settings import DEFAULT_ENTITY
from archivist.metadata.engine import write_transaction
from archivist.service import gc
from archivist.service.artifact_events import set_actor
from archivist.service.authorization import Access
from archivist.service.automation_calls import AutomationCalls
from archivist.service.blob_calls import BlobCalls
from archivist.service.collection_calls import CollectionCalls
from archivist.service.dispatch import DeliveryPolicy
from archivist.service.dispatcher import Dispatcher
from archivist.service.lifecycle_calls import LifecycleCalls
from archivist.service.noted_manifests import NotedManifests
from archivist.service.registry_calls import RegistryCalls
from archivist.service.run_calls import RunCalls
from archivist.service.version_calls import VersionCalls
from archivist.service.webhook_urls import UrlPolicy
from archivist.storage.base import BlobStore


class Service(
    RunCalls,
    BlobCalls,
    VersionCalls,
    LifecycleCalls,
    CollectionCalls,
    RegistryCalls,
    AutomationCalls,
):
    """Implements ``archivist.core.backend.Backend`` in-process, and the blob calls a server's
    routes, its UI and the embedded store's BlobTransfer make of the store."""

    def __init__(
        self,
        engine: Engine,
        store: BlobStore,
        default_entity: str = DEFAULT_ENTITY,
        upload_quota: int | None = None,
        urls: UrlPolicy | None = None,
        delivery_policy: DeliveryPolicy | None = None,
    ) -> None:
        """``upload_quota``: the bytes each user of a server may have uploaded that no commit
        references yet (None: no bound). ``urls``: where webhooks may send (a server's
        default: public addresses only)."""
        self.engine = engine
        self.store = store
        self.upload_quota = upload_quota
        self._default_entity = default_entity
        self._noted_manifests = NotedManifests()
        self.urls = urls or UrlPolicy()
        self.delivery_policy = delivery_policy or DeliveryPolicy()
        self.dispatcher: Dispatcher | None = None
        """Delivers the outbox in this process (a server's, or the embedded store's, started
        when this process's changes wrote deliveries); None: other processes deliver."""
        self.access: Access | None = None
        """The user whose calls these are (a server's request), or None: every right (the
        embedded store's own user, maintenance)."""
        self.sweep_step: gc.SweepStep | None = gc.expiry_step
        """The collector's first step: soft-deleting what expired (TTLs, retention rules)."""

    def for_user(self, access: Access) -> Service:
        """This service as one user of a server uses it: blob presence and reads are scoped
        to the blobs they may read, and their commits may name only those."""
        scoped = copy.copy(self)
        scoped.access = access
        scoped._default_entity = access.user
        return scoped

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction whose audit-trail events name this service's user."""
        with write_transaction(self.engine) as connection:
            set_actor(connection, DEFAULT_ENTITY if self.access is None else self.access.user)
            yield connection

    # --- identity -------------------------------------------------------------------------
    def default_entity(self) -> str:
        return self._default_entity

    def event_author(self) -> str:
        return self.access.user if self.access is not None else self._default_entity

    def close(self) -> None:
        self.engine.dispose()
