"""Threads linking and creating registries at once, over SQLite and PostgreSQL: one link per
source, dense link numbers, one registry per name."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from archivist.core.errors import ConflictError
from archivist.core.registries import ORGANIZATION
from archivist.service.service import Service
from tests.client.artifact_logging import log_text

WORKERS = 6
MODELS = "wandb-registry-model"


def test_linking_one_source_at_once_makes_one_link(service: Service) -> None:
    source = log_text(service, "clf", "w", type_name="model").version
    with ThreadPoolExecutor(WORKERS) as pool:
        links = list(
            pool.map(lambda n: service.link_version(source.id, "model", "clf", [f"a{n}"]), range(WORKERS))
        )
    assert {link.id for link in links} == {links[0].id}
    final = service.resolve_version(ORGANIZATION, MODELS, "clf", "latest")
    assert sorted(final.aliases) == sorted(["latest", *(f"a{n}" for n in range(WORKERS))])
    assert service.get_collection(ORGANIZATION, MODELS, "clf").version_count == 1


def test_linking_many_sources_at_once_numbers_them_densely(service: Service) -> None:
    sources = [log_text(service, "clf", f"w{n}", type_name="model").version for n in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:
        links = list(pool.map(lambda source: service.link_version(source.id, "model", "many"), sources))
    assert sorted(link.version_index for link in links) == list(range(WORKERS))
    latest = service.resolve_version(ORGANIZATION, MODELS, "many", "latest")
    assert latest.version_index == WORKERS - 1


def test_creating_one_registry_at_once_succeeds_once(service: Service) -> None:
    def create(_: int) -> str:
        try:
            service.create_registry("raced", "organization")
        except ConflictError:
            return "conflict"
        return "created"

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(create, range(WORKERS)))
    assert sorted(outcomes) == ["conflict"] * (WORKERS - 1) + ["created"]
    assert [r.name for r in service.list_registries()].count("raced") == 1
