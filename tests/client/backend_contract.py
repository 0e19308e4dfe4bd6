"""The Backend contract: one test suite every Backend passes (the fsspec pattern).

Subclass ``BackendContract`` and provide a ``backend`` fixture yielding a fresh,
empty backend; the tests use nothing but the Backend protocol (and the blob calls that
go with it to store the bytes a commit names, ``artifact_logging.blobs_of``), so the
embedded store, the service over PostgreSQL and the HTTP backend run the same suite.
The bytes themselves have their own suite (``contract_blobs.BlobTransferContract``).
"""

from __future__ import annotations

from archivist.core.backend import Backend
from tests.client.contract_collections import CollectionContract
from tests.client.contract_collector import CollectorContract
from tests.client.contract_commits import CommitContract
from tests.client.contract_history import HistoryContract
from tests.client.contract_lifecycle import LifecycleContract
from tests.client.contract_lineage import LineageContract
from tests.client.contract_protected_aliases import ProtectedAliasContract
from tests.client.contract_registries import RegistryContract
from tests.client.contract_registry_filters import RegistryFilterContract
from tests.client.contract_registry_members import RegistryMemberContract
from tests.client.contract_run_queries import RunQueryContract
from tests.client.contract_runs import RunContract
from tests.client.contract_versions import VersionContract


class BackendContract(
    CommitContract,
    HistoryContract,
    VersionContract,
    CollectionContract,
    CollectorContract,
    RunContract,
    LineageContract,
    LifecycleContract,
    RegistryContract,
    ProtectedAliasContract,
    RegistryFilterContract,
    RegistryMemberContract,
    RunQueryContract,
):
    def test_is_a_backend(self, backend: Backend) -> None:
        assert isinstance(backend, Backend)
        assert isinstance(backend.default_entity(), str) and backend.default_entity()
