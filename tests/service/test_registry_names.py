"""Registry names whatever their case, and links a bare target made read back from its
project, over SQLite and PostgreSQL (the service itself: the SDK and server suites cover
the same through their layers)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from archivist.core.errors import ArtifactNotFoundError, ConflictError, InvalidInputError
from archivist.core.registries import ORGANIZATION, LinkOrigin
from archivist.metadata.engine import read_transaction
from archivist.service import legacy_links
from archivist.service.service import Service
from tests.client.artifact_logging import ENTITY, log_text

MODELS = "wandb-registry-model"


def test_a_registry_is_found_whatever_the_case_and_keeps_its_name(service: Service) -> None:
    service.create_registry("Zoo", "organization", artifact_types=["model"])
    assert service.get_registry("zoo").name == service.get_registry("ZOO").name == "Zoo"
    source = log_text(service, "clf", "w", type_name="model").version
    link = service.link_version(source.id, "zOO", "classifier", ["production"])
    assert (link.entity, link.project) == (ORGANIZATION, "wandb-registry-Zoo")
    for project in ("wandb-registry-zoo", "wandb-registry-ZOO", "wandb-registry-Zoo"):
        assert service.resolve_version(ORGANIZATION, project, "classifier", "production").id == link.id
        assert [c.name for c in service.list_collections(ORGANIZATION, project)] == ["classifier"]
        assert service.get_collection(ORGANIZATION, project, "classifier").version_count == 1
        assert service.list_types(ORGANIZATION, project) == ["model"]
        assert service.get_project(ORGANIZATION, project).name == "wandb-registry-Zoo"
    service.delete_registry("zoo")
    with pytest.raises(ArtifactNotFoundError):
        service.resolve_version(ORGANIZATION, "wandb-registry-Zoo", "classifier", "production")


def test_a_name_differing_only_by_case_is_refused_naming_the_existing_one(service: Service) -> None:
    service.create_registry("Golden Sets", "organization")
    with pytest.raises(ConflictError, match="'golden sets' differs from the existing registry 'Golden Sets'"):
        service.create_registry("golden sets", "restricted")
    with pytest.raises(ConflictError, match="'model' already exists"):
        service.create_registry("model", "organization")
    with pytest.raises(ConflictError, match="existing registry 'model'"):
        service.create_registry("MODEL", "organization")
    assert [r.name for r in service.list_registries()] == ["Golden Sets", "dataset", "model"]


def test_creating_names_differing_by_case_at_once_creates_one(service: Service) -> None:
    spellings = ["raced", "Raced", "RACED", "rAced", "raceD", "RaCeD"]

    def create(name: str) -> str:
        try:
            service.create_registry(name, "organization")
        except ConflictError:
            return "conflict"
        return "created"

    with ThreadPoolExecutor(len(spellings)) as pool:
        outcomes = list(pool.map(create, spellings))
    assert sorted(outcomes) == ["conflict"] * (len(spellings) - 1) + ["created"]
    assert [r.name.lower() for r in service.list_registries()].count("raced") == 1


def test_a_bare_target_is_read_back_from_the_project_it_was_linked_from(service: Service) -> None:
    entity = ENTITY
    source = log_text(service, "net", "w", type_name="model", project="train").version
    link = service.link_version(source.id, "model", "My Model", ["staging"], LinkOrigin(entity, "train"))
    found = service.resolve_version(entity, "train", "My Model", "staging")
    assert (found.id, found.project) == (link.id, MODELS)
    # another project of the entity, or a name nothing linked from here: the ordinary answer
    with pytest.raises(ArtifactNotFoundError) as elsewhere:
        service.resolve_version(entity, "other", "My Model", "staging")
    assert "wandb-registry" not in str(elsewhere.value)
    plain = service.link_version(source.id, "model", "plain")  # linked without an origin
    assert plain.project == MODELS
    with pytest.raises(ArtifactNotFoundError, match=f"no artifact 'plain' in {entity}/train"):
        service.resolve_version(entity, "train", "plain", "latest")
    # a collection of that name in the project itself is read first
    own = log_text(service, "plain", "mine", type_name="model", project="train").version
    service.link_version(source.id, "model", "plain", [], LinkOrigin(entity, "train"))
    assert service.resolve_version(entity, "train", "plain", "latest").id == own.id


def test_an_origin_is_only_for_the_model_registry_and_is_validated(service: Service) -> None:
    service.create_registry("custom", "organization", artifact_types=["model"])
    source = log_text(service, "net", "w", type_name="model", project="train").version
    with pytest.raises(InvalidInputError, match="not into 'wandb-registry-custom'"):
        service.link_version(source.id, "custom", "c", [], LinkOrigin(ENTITY, "train"))
    assert service.list_collections(ORGANIZATION, "wandb-registry-custom") == []  # rolled back
    with pytest.raises(InvalidInputError, match="invalid entity 'bad entity'"):
        service.link_version(source.id, "model", "c", [], LinkOrigin("bad entity", "train"))


def test_a_caller_who_may_not_read_the_registry_is_not_redirected(service: Service) -> None:
    entity = ENTITY
    source = log_text(service, "net", "w", type_name="model", project="train").version
    service.link_version(source.id, "model", "hidden", [], LinkOrigin(entity, "train"))
    with read_transaction(service.engine) as connection:
        readable = legacy_links.read_from(connection, entity, "train", "hidden", lambda name: True)
        unreadable = legacy_links.read_from(connection, entity, "train", "hidden", lambda name: False)
    assert readable == (ORGANIZATION, MODELS)
    assert unreadable == (entity, "train")
