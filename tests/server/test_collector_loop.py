"""The server's collector: it runs on its interval, and replicas sharing a PostgreSQL
database take turns (a lease in the database), never two runs at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from archivist.client.http import HttpBackend
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError
from archivist.core.manifest import hash_bytes
from archivist.metadata.migrate import open_engine
from archivist.server.config import ServerConfig, gc_interval_from_text
from archivist.service import gc
from archivist.service.locks import one_collector
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore
from tests.client.artifact_logging import log_files
from tests.fixtures.archivist_server import ADMIN_KEY, archivist_server
from tests.metadata.postgres import temporary_database


def test_the_server_collects_on_its_interval(tmp_path: Path) -> None:
    env = {"ARCHIVIST_GC_INTERVAL": "1s", "ARCHIVIST_GC_GRACE": "0s"}
    with (
        temporary_database() as db_url,
        archivist_server(db_url, tmp_path / "blobs", tmp_path / "server.log", env=env) as server,
    ):
        backend = HttpBackend(server.url, ADMIN_KEY)
        try:
            version = log_files(backend, "cats", {"a": b"collected by the server"}, entity="admin").version
            backend.delete_version(version.id, delete_aliases=True)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if not backend.explain_blob(hash_bytes(b"collected by the server")).stored:
                    break
                time.sleep(0.5)
            assert not backend.explain_blob(hash_bytes(b"collected by the server")).stored
            with pytest.raises(ArtifactNotFoundError):
                backend.get_version(version.id)
        finally:
            backend.close()
        assert "collector: purged 1 versions" in server.log_text()


def test_replicas_take_turns_by_a_lease_in_the_database(tmp_path: Path) -> None:
    with temporary_database() as db_url:
        engine = open_engine(db_url)
        store = LocalBlobStore(str(tmp_path / "blobs"))
        try:
            service = Service(engine, store)
            log_files(service, "cats", {"a": b"a"})
            with one_collector(engine, wait=False) as held:
                assert held
                assert gc.run_if_idle(engine, store, 0) is None  # another replica's turn: skipped
                waited: list[object] = []
                waiter = threading.Thread(target=lambda: waited.append(gc.run_collection(engine, store, 0)))
                waiter.start()
                time.sleep(0.5)
                assert waited == []  # a run by hand waits for the lease
            waiter.join(timeout=30)
            assert len(waited) == 1
            assert gc.run_if_idle(engine, store, 0) is not None
        finally:
            engine.dispose()


def test_interval_settings() -> None:
    assert gc_interval_from_text("off", "--gc-interval") is None
    assert gc_interval_from_text("30m", "--gc-interval") == 1800
    with pytest.raises(InvalidInputError, match="above 0"):
        gc_interval_from_text("0s", "--gc-interval")
    config = ServerConfig.from_env("sqlite:///x", "/x", {"ARCHIVIST_GC_GRACE": "12h"})
    assert (config.gc_interval, config.gc_grace) == (3600, 12 * 3600)
    with pytest.raises(InvalidInputError, match="ARCHIVIST_GC_GRACE"):
        ServerConfig.from_env("sqlite:///x", "/x", {"ARCHIVIST_GC_GRACE": "soon"})
