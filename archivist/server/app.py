"""The API server: the Backend protocol as JSON HTTP routes under /api/v1.

``create_app`` migrates the database, opens the blob store, makes sure an
administrator exists (see ``archivist.service.accounts.ensure_admin``) and
returns the FastAPI app. The app keeps no data of its own between requests, so
any number of processes may serve the same database and store.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from archivist import __version__
from archivist.core.errors import ArchivistError
from archivist.metadata.migrate import open_engine
from archivist.server.blobs import byte_routes, transfer_routes
from archivist.server.blobs.listener import BlobListener
from archivist.server.blobs.tickets import BlobTickets
from archivist.server.blobs.upload_ledger import UNACCOUNTED, UploadLedger
from archivist.server.calls import call_routes
from archivist.server.collector_loop import CollectorLoop
from archivist.server.config import ServerConfig
from archivist.server.errors import install_error_handlers
from archivist.server.public_messages import PathScrubber
from archivist.server.request_guard import BodyLimits, RequestGuard
from archivist.server.request_log import RequestLogMiddleware
from archivist.server.state import ServerState
from archivist.server.ui_mount import mount_server_ui
from archivist.service.accounts import ensure_admin, principal_named
from archivist.service.authorization import Access
from archivist.service.dispatch import DeliveryPolicy
from archivist.service.dispatcher import Dispatcher
from archivist.service.service import Service
from archivist.service.transfers import cleanup_stale_uploads
from archivist.service.webhook_urls import UrlPolicy
from archivist.storage import open_store
from archivist.storage.base import BlobStore

_log = logging.getLogger("archivist.server")
SERVER_STORE = "the server's blob store"
"""How messages name the server's store: by its kind, never by its path (they reach clients)."""
STALE_UPLOAD_SECONDS = 24 * 3600
"""Direct uploads begun longer ago than this and never completed are dropped at start-up."""
DESCRIPTION = """\
Archivist versions ML datasets and models and records their lineage. These routes
are the Backend protocol of `archivist.core.backend`, one POST route per call
(blob bytes use framed binary streams). Every route but `/health` needs
`Authorization: Bearer <API key>`. Errors answer `{"error": {"code", "message"}}`.
"""


def create_app(config: ServerConfig) -> FastAPI:
    engine = open_engine(config.db_url)
    store = open_store(config.store_url, label=SERVER_STORE, reserve_bytes=config.space_reserve)
    bootstrap = ensure_admin(engine, config.admin_key)
    if bootstrap.ignored_admin_key:
        _log.warning(
            "ARCHIVIST_ADMIN_KEY was ignored: an administrator exists already and this key is not "
            "theirs; manage keys with 'archivist key create/revoke'"
        )
    _clean_up_abandoned_uploads(store)
    urls = UrlPolicy(allow_private=config.allow_private_webhooks, allowed=config.webhook_allow)
    delivery = DeliveryPolicy(
        backoff_seconds=config.delivery_backoff_seconds,
        lease_seconds=config.delivery_lease_seconds,
        rate=config.automation_rate,
    )
    service = Service(engine, store, upload_quota=config.upload_quota, urls=urls, delivery_policy=delivery)
    service.dispatcher = Dispatcher(engine, urls, delivery)
    collector = (
        None if config.gc_interval is None else CollectorLoop(service, config.gc_interval, config.gc_grace)
    )

    def ledger_for(user: str) -> UploadLedger:
        principal = principal_named(engine, user)
        return UNACCOUNTED if principal is None else service.for_user(Access(engine, principal))

    public_message = PathScrubber.for_server(store, config.db_url)
    listener = (
        None
        if config.blob_port is None
        else BlobListener(store, BlobTickets(), public_message, config.blob_limits, ledger_for=ledger_for)
    )
    state = ServerState(
        config=config,
        engine=engine,
        store=store,
        service=service,
        public_message=public_message,
        blob_listener=listener,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if listener is not None and config.blob_port is not None:
            _start_listener(listener, config.blob_host, config.blob_port)
        assert service.dispatcher is not None
        service.dispatcher.start()  # every server process delivers the outbox
        if collector is not None:
            collector.start()
        try:
            yield
        finally:
            if collector is not None:
                collector.stop()
            service.dispatcher.stop()
            if listener is not None:
                listener.close()
            engine.dispose()

    app = FastAPI(title="Archivist", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.archivist = state
    app.state.generated_admin_key = bootstrap.generated_key
    install_error_handlers(app, public_message)
    app.add_middleware(RequestGuard, limits=BodyLimits(json_bytes=config.max_request_bytes))
    app.add_middleware(RequestLogMiddleware)

    @app.get("/health", tags=["health"], response_model=dict[str, str])
    def health() -> JSONResponse:
        """Answers without a key when the process is up."""
        return JSONResponse({"status": "ok", "version": __version__})

    app.include_router(call_routes())
    for module in (byte_routes, transfer_routes):
        app.include_router(module.router)
    mount_server_ui(app, state)
    return app


def _start_listener(listener: BlobListener, host: str, port: int) -> None:
    """Start the blob listener; when its port is taken, say so and carry every blob
    through the API instead (the server still serves)."""
    try:
        taken = listener.start(host, port)
    except OSError as error:
        _log.warning(
            "blob listener: cannot listen on %s:%d (%s); large uploads go through the API", host, port, error
        )
        return
    _log.info("blob listener on %s:%d takes large uploads", host, taken)


def _clean_up_abandoned_uploads(store: BlobStore) -> None:
    """Drop direct uploads a client began a day ago and never completed (and stale temp
    files of a folder store). A failure here is logged and does not stop the server."""
    try:
        report = cleanup_stale_uploads(store, older_than_seconds=STALE_UPLOAD_SECONDS)
    except ArchivistError as error:
        _log.warning("could not clean up abandoned uploads in %s: %s", store, error.message)
        return
    if report.aborted_uploads or report.deleted_staged:
        _log.info(
            "dropped %d abandoned multipart uploads and %d unverified uploads",
            report.aborted_uploads,
            report.deleted_staged,
        )
