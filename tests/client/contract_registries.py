"""Backend contract: registries, their collections and links (SPEC §7)."""

from __future__ import annotations

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import (
    ArtifactNotFoundError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TypeConflictError,
)
from archivist.core.models import CollectionUpdate, RunRef, RunSpec
from archivist.core.registries import ORGANIZATION, LinkOrigin, RegistryUpdate, Visibility
from tests.client.artifact_logging import ENTITY, PROJECT, log_text

MODELS = "wandb-registry-model"


class RegistryContract:
    def test_the_core_registries_exist_from_the_start(self, backend: Backend) -> None:
        found = {r.name: r for r in backend.list_registries()}
        assert found["model"].artifact_types == ("model",)
        assert found["dataset"].artifact_types == ("dataset",)
        assert found["model"].project == MODELS and found["model"].entity == ORGANIZATION
        assert found["model"].visibility is Visibility.ORGANIZATION
        assert not found["model"].allow_all_artifact_types

    def test_create_get_and_refuse_a_second_of_the_same_name(self, backend: Backend) -> None:
        created = backend.create_registry("Golden Sets", "restricted", "the sets", ["dataset", "table"])
        assert (created.name, created.project) == ("Golden Sets", "wandb-registry-Golden Sets")
        assert created.artifact_types == ("dataset", "table")
        assert created.visibility is Visibility.RESTRICTED and created.description == "the sets"
        assert backend.get_registry("Golden Sets") == created
        assert "Golden Sets" in [r.name for r in backend.list_registries()]
        with pytest.raises(ConflictError, match="'Golden Sets' already exists"):
            backend.create_registry("Golden Sets", "organization")
        with pytest.raises(NotFoundError, match="'nothing'"):
            backend.get_registry("nothing")

    @pytest.mark.parametrize(
        ("name", "visibility", "types", "message"),
        [
            ("a/b", "organization", None, "registry name 'a/b'"),
            (" lead", "organization", None, "registry name ' lead'"),
            ("x" * 114, "organization", None, "at most 113"),
            ("ok", "public", None, "visibility 'public'"),
            ("ok", "organization", ["a:b"], "artifact type 'a:b'"),
            ("ok", "organization", "model", "list"),
        ],
    )
    def test_bad_registry_values_are_named(
        self, backend: Backend, name: str, visibility: str, types: object, message: str
    ) -> None:
        with pytest.raises(InvalidInputError, match=message):
            backend.create_registry(name, visibility, None, types)  # type: ignore[arg-type]
        assert "ok" not in [r.name for r in backend.list_registries()]

    def test_accepted_types_are_added_never_removed_and_restricting_is_final(self, backend: Backend) -> None:
        backend.create_registry("evals", "organization", artifact_types=["dataset"])
        grown = backend.update_registry("evals", RegistryUpdate(artifact_types=["dataset", "table"]))
        assert grown.artifact_types == ("dataset", "table")
        with pytest.raises(InvalidInputError, match=r"lose the accepted types \['dataset'\]"):
            backend.update_registry("evals", RegistryUpdate(artifact_types=["table"]))
        restricted = backend.update_registry(
            "evals", RegistryUpdate(visibility="restricted", description="d")
        )
        assert (restricted.visibility, restricted.description) == (Visibility.RESTRICTED, "d")
        with pytest.raises(InvalidInputError, match="cannot become visible"):
            backend.update_registry("evals", RegistryUpdate(visibility="organization"))
        with pytest.raises(InvalidInputError, match="core registry 'model' is always visible"):
            backend.update_registry("model", RegistryUpdate(visibility="restricted"))
        assert backend.get_registry("evals").artifact_types == ("dataset", "table")

    def test_link_gets_its_own_number_and_aliases_and_linking_again_returns_it(
        self, backend: Backend
    ) -> None:
        first = log_text(backend, "clf", "weights 1", type_name="model").version
        second = log_text(backend, "clf", "weights 2", type_name="model").version
        link = backend.link_version(first.id, "model", "classifier", ["staging"])
        assert (link.entity, link.project, link.collection, link.version) == (
            ORGANIZATION,
            MODELS,
            "classifier",
            "v0",
        )
        assert link.aliases == ("latest", "staging") and link.type == "model"
        assert (
            link.id != first.id
            and link.digest == first.digest
            and link.manifest_digest == first.manifest_digest
        )
        assert link.source is not None
        assert (link.source.id, link.source.entity, link.source.project) == (first.id, ENTITY, PROJECT)
        assert link.source.qualified_name == f"{ENTITY}/{PROJECT}/clf:v0"
        again = backend.link_version(first.id, "model", "classifier", ["production"])
        assert again.id == link.id and again.aliases == ("latest", "staging", "production")
        newer = backend.link_version(second.id, "model", "classifier", ["staging"])
        assert newer.version == "v1" and newer.aliases == ("latest", "staging")
        held = backend.resolve_version(ORGANIZATION, MODELS, "classifier", "production")
        assert held.id == link.id and held.aliases == ("production",)
        assert backend.resolve_version(ORGANIZATION, MODELS, "classifier", "latest").id == newer.id
        assert backend.get_collection(ORGANIZATION, MODELS, "classifier").version_count == 2
        assert [r.id for r in backend.list_links(first.id)] == [link.id]
        assert backend.list_links(link.id) == backend.list_links(first.id)  # a link's links are its source's

    def test_linking_a_link_links_its_source(self, backend: Backend) -> None:
        source = log_text(backend, "clf", "w", type_name="model").version
        link = backend.link_version(source.id, "model", "a")
        backend.create_registry("all", "organization", allow_all_artifact_types=True)
        relinked = backend.link_version(link.id, "all", "b")
        assert relinked.source is not None and relinked.source.id == source.id

    def test_types_are_checked_against_the_registry_and_the_collection(self, backend: Backend) -> None:
        data = log_text(backend, "cats", "c").version
        model = log_text(backend, "net", "n", type_name="model").version
        with pytest.raises(TypeConflictError, match=r"accepts the types \['model'\].*of type 'dataset'"):
            backend.link_version(data.id, "model", "cats")
        backend.create_registry("anything", "organization", allow_all_artifact_types=True)
        backend.link_version(model.id, "anything", "mixed")
        with pytest.raises(TypeConflictError, match="holds type 'model'; cannot link .* of type 'dataset'"):
            backend.link_version(data.id, "anything", "mixed")
        with pytest.raises(NotFoundError, match="registry 'nowhere' not found"):
            backend.link_version(model.id, "nowhere", "x")
        with pytest.raises(InvalidInputError, match="registry collection name 'a/b'"):
            backend.link_version(model.id, "model", "a/b")

    def test_a_collection_name_may_hold_spaces(self, backend: Backend) -> None:
        model = log_text(backend, "net", "n", type_name="model").version
        link = backend.link_version(model.id, "model", "My Model")
        assert backend.resolve_version(ORGANIZATION, MODELS, "My Model", "v0").id == link.id

    def test_a_registry_collection_keeps_its_type_and_may_be_renamed_with_spaces(
        self, backend: Backend
    ) -> None:
        model = log_text(backend, "net", "n", type_name="model").version
        backend.link_version(model.id, "model", "clf")
        with pytest.raises(InvalidInputError, match="type is fixed when it is created"):
            backend.update_collection(ORGANIZATION, MODELS, "clf", CollectionUpdate(type="dataset"))
        renamed = backend.update_collection(
            ORGANIZATION, MODELS, "clf", CollectionUpdate(name="Prod Classifier")
        )
        assert (renamed.name, renamed.type) == ("Prod Classifier", "model")
        assert backend.resolve_version(ORGANIZATION, MODELS, "Prod Classifier", "latest").source is not None

    def test_using_a_link_records_the_edge_to_the_source(self, backend: Backend) -> None:
        producer = RunRef(ENTITY, PROJECT, "train")
        backend.upsert_run(RunSpec(ref=producer))
        source = log_text(backend, "clf", "w", type_name="model", run=producer).version
        link = backend.link_version(source.id, "model", "clf")
        consumer = RunRef(ENTITY, PROJECT, "serve")
        backend.upsert_run(RunSpec(ref=consumer))
        backend.record_use(consumer, link.id)
        assert [v.id for v in backend.run_inputs(consumer)] == [source.id]
        assert [r.ref for r in backend.version_consumers(link.id)] == [consumer]
        producer_record = backend.version_producer(link.id)
        assert producer_record is not None and producer_record.ref == producer
        graph = backend.lineage(link.id, "both", 2)  # type: ignore[arg-type]
        assert graph.root == source.id

    def test_deleting_a_source_removes_its_links(self, backend: Backend) -> None:
        first = log_text(backend, "clf", "1", type_name="model").version
        second = log_text(backend, "clf", "2", type_name="model").version
        kept = backend.link_version(first.id, "model", "clf", ["production"])
        gone = backend.link_version(second.id, "model", "clf")
        backend.delete_version(second.id, delete_aliases=True)
        with pytest.raises(ArtifactNotFoundError):
            backend.get_version(gone.id)
        assert backend.resolve_version(ORGANIZATION, MODELS, "clf", "latest").id == kept.id
        assert backend.get_collection(ORGANIZATION, MODELS, "clf").version_count == 1

    def test_deleting_a_link_leaves_its_source(self, backend: Backend) -> None:
        source = log_text(backend, "clf", "1", type_name="model").version
        link = backend.link_version(source.id, "model", "clf", ["production"])
        backend.delete_version(link.id, delete_aliases=True)
        assert backend.get_version(source.id).aliases == ("latest",)
        assert backend.list_links(source.id) == []
        assert backend.link_version(source.id, "model", "clf").version == "v1"  # numbers are never reused

    def test_deleting_a_registry_deletes_its_links_not_their_sources(self, backend: Backend) -> None:
        source = log_text(backend, "clf", "1", type_name="model").version
        backend.create_registry("scratch", "organization", artifact_types=["model"])
        link = backend.link_version(source.id, "scratch", "clf")
        backend.delete_registry("scratch")
        with pytest.raises(ArtifactNotFoundError):
            backend.get_version(link.id)
        assert backend.get_version(source.id).id == source.id
        with pytest.raises(InvalidInputError, match="core registry 'model' cannot be deleted"):
            backend.delete_registry("model")
        assert backend.create_registry("scratch", "organization").name == "scratch"

    def test_nothing_is_logged_into_a_registry_project_directly(self, backend: Backend) -> None:
        with pytest.raises(InvalidInputError, match="are registries"):
            log_text(backend, "clf", "w", type_name="model", entity=ORGANIZATION, project=MODELS)

    def test_a_registry_name_matches_whatever_its_case(self, backend: Backend) -> None:
        backend.create_registry("Zoo", "organization", None, ["model"])
        assert backend.get_registry("zoo").name == "Zoo"
        with pytest.raises(ConflictError, match="'ZOO' differs from the existing registry 'Zoo'"):
            backend.create_registry("ZOO", "organization")
        model = log_text(backend, "clf", "w", type_name="model").version
        link = backend.link_version(model.id, "zoo", "clf", ["production"])
        assert link.project == "wandb-registry-Zoo"
        assert backend.resolve_version(ORGANIZATION, "wandb-registry-ZOO", "clf", "production").id == link.id
        assert backend.update_registry("zOo", RegistryUpdate(description="d")).name == "Zoo"

    def test_a_bare_targets_link_is_read_from_its_origin_project(self, backend: Backend) -> None:
        model = log_text(backend, "clf", "w", type_name="model").version
        link = backend.link_version(model.id, "model", "My Model", ["staging"], LinkOrigin(ENTITY, PROJECT))
        assert backend.resolve_version(ENTITY, PROJECT, "My Model", "staging").id == link.id
        with pytest.raises(ArtifactNotFoundError):
            backend.resolve_version(ENTITY, "another", "My Model", "staging")
