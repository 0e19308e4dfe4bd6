"""Backend contract: projects, types and collections."""

from __future__ import annotations

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError, ConflictError, InvalidInputError, NotFoundError
from archivist.core.models import CollectionUpdate, VersionUpdate
from tests.client.artifact_logging import ENTITY, PROJECT, log_text


class CollectionContract:
    def test_projects_and_types_appear_on_first_use(self, backend: Backend) -> None:
        assert backend.list_projects(ENTITY) == []
        log_text(backend, "cats", "a")
        log_text(backend, "net", "b", type_name="model")
        log_text(backend, "other", "c", project="second")
        assert backend.list_projects(ENTITY) == [PROJECT, "second"]
        assert backend.list_types(ENTITY, PROJECT) == ["dataset", "model"]
        assert backend.list_types(ENTITY, "nowhere") == []

    def test_list_collections_with_and_without_type(self, backend: Backend) -> None:
        log_text(backend, "dogs", "a")
        log_text(backend, "cats", "a")
        log_text(backend, "net", "b", type_name="model")
        assert [c.name for c in backend.list_collections(ENTITY, PROJECT)] == ["cats", "dogs", "net"]
        assert [c.name for c in backend.list_collections(ENTITY, PROJECT, "model")] == ["net"]
        assert backend.list_collections(ENTITY, PROJECT, "code") == []

    def test_get_collection_counts_committed_versions_and_lists_aliases(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "a", aliases=("best",)).version
        log_text(backend, "cats", "b", aliases=("prod",))
        log_text(backend, "cats", "c")
        backend.update_version(first.id, VersionUpdate(aliases=[]))
        backend.delete_version(first.id)
        collection = backend.get_collection(ENTITY, PROJECT, "cats")
        assert collection.name == "cats" and collection.type == "dataset"
        assert (collection.entity, collection.project) == (ENTITY, PROJECT)
        assert collection.version_count == 2
        assert sorted(collection.aliases) == ["latest", "prod"]
        assert collection.id.isdigit()

    def test_get_unknown_collection(self, backend: Backend) -> None:
        with pytest.raises(NotFoundError, match="ent/proj/cats"):
            backend.get_collection(ENTITY, PROJECT, "cats")

    def test_update_collection_description_tags_and_type(self, backend: Backend) -> None:
        log_text(backend, "cats", "a")
        updated = backend.update_collection(
            ENTITY, PROJECT, "cats", CollectionUpdate(description="card", tags=["a", "b c"], type="images")
        )
        assert (updated.description, updated.tags, updated.type) == ("card", ("a", "b c"), "images")
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "latest").type == "images"
        assert backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate()).description == "card"
        with pytest.raises(InvalidInputError):
            backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate(tags=["bad!"]))
        with pytest.raises(InvalidInputError):
            backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate(type="a/b"))

    def test_rename_collection(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a").version
        renamed = backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate(name="felines"))
        assert renamed.name == "felines"
        assert backend.resolve_version(ENTITY, PROJECT, "felines", "v0").id == version.id
        assert backend.get_version(version.id).collection == "felines"
        with pytest.raises(ArtifactNotFoundError):
            backend.resolve_version(ENTITY, PROJECT, "cats", "v0")

    def test_rename_to_a_taken_name_is_a_conflict(self, backend: Backend) -> None:
        log_text(backend, "cats", "a")
        log_text(backend, "net", "a", type_name="model")
        with pytest.raises(ConflictError, match="net"):
            backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate(name="net"))
        with pytest.raises(InvalidInputError):
            backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate(name="bad name"))

    def test_delete_collection_then_log_the_name_afresh(self, backend: Backend) -> None:
        old = log_text(backend, "cats", "a").version
        log_text(backend, "cats", "b")
        old_collection = backend.get_collection(ENTITY, PROJECT, "cats")
        backend.delete_collection(ENTITY, PROJECT, "cats")
        with pytest.raises(NotFoundError):
            backend.get_collection(ENTITY, PROJECT, "cats")
        with pytest.raises(ArtifactNotFoundError):
            backend.get_version(old.id)
        assert backend.list_collections(ENTITY, PROJECT) == []
        fresh = log_text(backend, "cats", "a", type_name="model")
        assert fresh.created is True and fresh.version.version_index == 0
        assert backend.get_collection(ENTITY, PROJECT, "cats").id != old_collection.id

    def test_delete_unknown_collection(self, backend: Backend) -> None:
        with pytest.raises(NotFoundError):
            backend.delete_collection(ENTITY, PROJECT, "cats")
