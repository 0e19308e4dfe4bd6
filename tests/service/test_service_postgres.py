"""The Service over PostgreSQL passes the whole Backend contract."""

from __future__ import annotations

import pytest

from archivist.service.service import Service
from tests.client.backend_contract import BackendContract


@pytest.fixture
def backend(postgres_service: Service) -> Service:
    return postgres_service


class TestServiceOnPostgres(BackendContract):
    pass
