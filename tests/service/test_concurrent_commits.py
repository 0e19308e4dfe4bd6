"""Threads committing to one collection at once, over SQLite and PostgreSQL:
version numbers stay dense and unique, identical content is stored once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from archivist.core.models import VersionQuery
from archivist.service.service import Service
from tests.client.artifact_logging import ENTITY, PROJECT, log_text

WORKERS = 6
PER_WORKER = 5


def test_concurrent_commits_get_dense_unique_numbers(service: Service) -> None:
    def commit_several(worker: int) -> list[int]:
        return [log_text(service, "fresh", f"{worker}-{n}").version.version_index for n in range(PER_WORKER)]

    with ThreadPoolExecutor(WORKERS) as pool:
        indices = sorted(i for batch in pool.map(commit_several, range(WORKERS)) for i in batch)
    total = WORKERS * PER_WORKER
    assert indices == list(range(total))
    listed = service.list_versions(VersionQuery(ENTITY, PROJECT, "fresh", order="+version"))
    assert [v.version_index for v in listed] == list(range(total))
    assert service.resolve_version(ENTITY, PROJECT, "fresh", "latest").version_index == total - 1


def test_concurrent_identical_commits_make_one_version(service: Service) -> None:
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda _: log_text(service, "same", "identical"), range(WORKERS * 2)))
    assert {r.version.id for r in results} == {results[0].version.id}
    assert sum(r.created for r in results) == 1
    assert service.get_collection(ENTITY, PROJECT, "same").version_count == 1
