"""The Service over PostgreSQL passes the whole Backend contract, and the embedded store's
BlobTransfer over it the BlobTransfer contract."""

from __future__ import annotations

import pytest

from archivist.service.embedded_transfer import EmbeddedTransfer
from archivist.service.service import Service
from archivist.storage.local import LocalBlobStore
from tests.client.backend_contract import BackendContract
from tests.client.contract_blobs import BlobTransferContract


@pytest.fixture
def backend(postgres_service: Service) -> Service:
    return postgres_service


@pytest.fixture
def transfer(postgres_service: Service) -> EmbeddedTransfer:
    assert isinstance(postgres_service.store, LocalBlobStore)
    return EmbeddedTransfer(postgres_service, postgres_service.store)


class TestServiceOnPostgres(BackendContract):
    pass


class TestEmbeddedTransferOnPostgres(BlobTransferContract):
    pass
