"""Backend contract: reading, listing, editing and deleting versions."""

from __future__ import annotations

import time

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError, ConflictError, InvalidInputError
from archivist.core.models import VersionQuery, VersionUpdate
from tests.client.artifact_logging import ENTITY, PROJECT, log_files, log_text


def _query(**fields: object) -> VersionQuery:
    return VersionQuery(ENTITY, PROJECT, "cats", **fields)  # type: ignore[arg-type]


class VersionContract:
    # --- resolve and get ----------------------------------------------------------------------
    def test_resolve_by_number_alias_and_latest(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "one", aliases=("best",)).version
        second = log_text(backend, "cats", "two").version
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "v0").id == first.id
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "v1").id == second.id
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "best").id == first.id
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "latest").id == second.id

    @pytest.mark.parametrize(("name", "selector"), [("cats", "v9"), ("cats", "nope"), ("dogs", "latest")])
    def test_resolve_names_what_was_not_found(self, backend: Backend, name: str, selector: str) -> None:
        log_text(backend, "cats", "one")
        with pytest.raises(ArtifactNotFoundError) as caught:
            backend.resolve_version(ENTITY, PROJECT, name, selector)
        assert f"artifact 'ent/proj/{name}:{selector}' not found" in str(caught.value)
        assert isinstance(caught.value, LookupError)

    def test_not_found_says_what_exists_nearby(self, backend: Backend) -> None:
        for text in ("one", "two", "three"):
            log_text(backend, "cats", text, aliases=("best",) if text == "two" else ())
        log_files(backend, "example_artifact", {"training_dataset": b"rows", "notes/readme.md": b"hi"})
        log_text(backend, "kitten-pics", "k")

        def message(name: str, selector: str = "latest", project: str = PROJECT) -> str:
            with pytest.raises(ArtifactNotFoundError) as caught:
                backend.resolve_version(ENTITY, project, name, selector)
            return str(caught.value)

        assert message("cats", "prod").endswith(
            ": 'cats' has no alias 'prod'; its aliases: best, latest; its versions: v0-v2"
        )
        assert message("cats", "v7").endswith(
            ": 'cats' has no version v7; its aliases: best, latest; its versions: v0-v2"
        )
        assert message("training_dataset").endswith(
            ": no artifact 'training_dataset' in ent/proj; "
            "'example_artifact' has a file named training_dataset"
        )
        assert "'example_artifact' has a file named notes/readme.md" in message("readme")
        assert "similar names: cats" in message("catz")
        assert message("zzz").endswith("; the project holds cats, example_artifact, kitten-pics")
        assert message("cats", project="nowhere").endswith(
            ": entity 'ent' has no project 'nowhere'; its projects: proj"
        )

    def test_get_version_by_id(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "one").version
        assert backend.get_version(version.id) == backend.resolve_version(ENTITY, PROJECT, "cats", "v0")

    @pytest.mark.parametrize("bad_id", ["999999", "abc", "-1", ""])
    def test_get_unknown_version_id(self, backend: Backend, bad_id: str) -> None:
        with pytest.raises(ArtifactNotFoundError):
            backend.get_version(bad_id)

    # --- list ---------------------------------------------------------------------------------
    def test_list_versions_orders_and_pages(self, backend: Backend) -> None:
        for text in ("a", "ccc", "bb"):
            log_text(backend, "cats", text)
        assert [v.version_index for v in backend.list_versions(_query())] == [2, 1, 0]
        assert [v.version_index for v in backend.list_versions(_query(order="+version"))] == [0, 1, 2]
        assert [v.size for v in backend.list_versions(_query(order="-size"))] == [3, 2, 1]
        assert [v.size for v in backend.list_versions(_query(order="size"))] == [1, 2, 3]
        assert [v.version_index for v in backend.list_versions(_query(order="+created_at"))] == [0, 1, 2]
        page = backend.list_versions(_query(order="+version", offset=1, limit=1))
        assert [v.version_index for v in page] == [1]

    def test_list_versions_filters_by_all_tags(self, backend: Backend) -> None:
        log_text(backend, "cats", "a", tags=("x",))
        log_text(backend, "cats", "b", tags=("x", "y"))
        log_text(backend, "cats", "c", tags=("y",))
        assert [v.version_index for v in backend.list_versions(_query(tags=("x",)))] == [1, 0]
        assert [v.version_index for v in backend.list_versions(_query(tags=("x", "y")))] == [1]
        assert backend.list_versions(_query(tags=("z",))) == []

    def test_list_versions_leaves_out_deleted_ones(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "a").version
        log_text(backend, "cats", "b")
        backend.delete_version(first.id)
        assert [v.version_index for v in backend.list_versions(_query())] == [1]

    def test_list_versions_filters_by_content_digest(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "a").version
        log_text(backend, "cats", "b")
        found = backend.list_versions(_query(digest=first.digest))
        assert [v.id for v in found] == [first.id]
        assert found[0].manifest_digest == first.manifest_digest
        assert backend.list_versions(_query(digest="0" * 64)) == []
        with pytest.raises(InvalidInputError, match="digest"):
            backend.list_versions(_query(digest="not-a-digest"))

    def test_list_versions_of_an_unknown_collection_is_empty(self, backend: Backend) -> None:
        assert backend.list_versions(_query()) == []

    @pytest.mark.parametrize("order", ["name", "--version", "+", "version-"])
    def test_list_versions_refuses_unknown_orders(self, backend: Backend, order: str) -> None:
        with pytest.raises(InvalidInputError, match="created_at"):
            backend.list_versions(_query(order=order))

    # --- update -------------------------------------------------------------------------------
    def test_update_changes_only_the_fields_given(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a", description="old", metadata={"a": 1}, tags=("x",)).version
        time.sleep(0.01)
        updated = backend.update_version(version.id, VersionUpdate(description="new"))
        assert updated.description == "new"
        assert updated.metadata == {"a": 1} and updated.tags == ("x",) and updated.aliases == ("latest",)
        assert updated.updated_at > version.updated_at
        assert updated.created_at == version.created_at
        updated = backend.update_version(version.id, VersionUpdate(metadata={"b": 2}, tags=("y", "z")))
        assert updated.metadata == {"b": 2} and updated.tags == ("y", "z") and updated.description == "new"
        assert backend.get_version(version.id) == updated

    def test_update_aliases_replaces_the_set_and_moves_aliases(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "a", aliases=("best",)).version
        second = log_text(backend, "cats", "b", aliases=("prod",)).version
        updated = backend.update_version(first.id, VersionUpdate(aliases=["prod"]))
        assert set(updated.aliases) == {"prod"}
        assert backend.get_version(second.id).aliases == ("latest",)
        with pytest.raises(ArtifactNotFoundError):
            backend.resolve_version(ENTITY, PROJECT, "cats", "best")

    def test_latest_is_managed_by_the_store_not_by_edits(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "a").version
        second = log_text(backend, "cats", "b").version
        assert backend.update_version(second.id, VersionUpdate(aliases=[])).aliases == ("latest",)
        assert backend.update_version(first.id, VersionUpdate(aliases=["latest", "x"])).aliases == ("x",)
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "latest").id == second.id

    def test_update_refuses_version_aliases(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a").version
        with pytest.raises(InvalidInputError, match="v7"):
            backend.update_version(version.id, VersionUpdate(aliases=["v7"]))
        assert backend.get_version(version.id).aliases == ("latest",)

    def test_update_ttl(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a", ttl_seconds=60).version
        assert backend.update_version(version.id, VersionUpdate(ttl_seconds=3600)).ttl_seconds == 3600
        assert backend.update_version(version.id, VersionUpdate(ttl_seconds=None)).ttl_seconds is None
        for bad in (0, -3, 1.5, True):
            with pytest.raises(InvalidInputError, match="ttl"):
                backend.update_version(version.id, VersionUpdate(ttl_seconds=bad))

    def test_update_refuses_invalid_tags_and_metadata(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a").version
        with pytest.raises(InvalidInputError):
            backend.update_version(version.id, VersionUpdate(tags=["no/slash"]))
        with pytest.raises(InvalidInputError, match="dict"):
            backend.update_version(version.id, VersionUpdate(metadata=[1, 2]))  # type: ignore[arg-type]

    def test_metadata_keeps_infinity_as_w_and_b_does(self, backend: Backend) -> None:
        """JSON has no infinity: it is stored and sent as 9e999 and read back as infinity."""
        version = log_text(backend, "cats", "a").version
        metadata = {"best": float("inf"), "worst": [float("-inf"), 1.5], "text": "Infinity"}
        updated = backend.update_version(version.id, VersionUpdate(metadata=metadata))
        assert updated.metadata == metadata
        assert backend.get_version(version.id).metadata == metadata

    # --- delete -------------------------------------------------------------------------------
    def test_delete_refuses_a_version_with_aliases(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a", aliases=("best",)).version
        with pytest.raises(ConflictError) as caught:
            backend.delete_version(version.id)
        message = str(caught.value)
        assert "'best'" in message and "'latest'" in message and "delete_aliases=True" in message
        assert backend.get_version(version.id).id == version.id

    def test_deleted_versions_are_gone_from_every_read(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "a").version
        log_text(backend, "cats", "b")
        backend.delete_version(first.id)
        with pytest.raises(ArtifactNotFoundError):
            backend.get_version(first.id)
        with pytest.raises(ArtifactNotFoundError):
            backend.resolve_version(ENTITY, PROJECT, "cats", "v0")
        with pytest.raises(ArtifactNotFoundError):
            backend.delete_version(first.id)
        with pytest.raises(ArtifactNotFoundError):
            backend.update_version(first.id, VersionUpdate(description="x"))

    def test_deleting_the_latest_moves_latest_to_the_newest_remaining(self, backend: Backend) -> None:
        log_files(backend, "cats", {"a": b"0"})
        second = log_files(backend, "cats", {"a": b"1"}).version
        third = log_files(backend, "cats", {"a": b"2"}, aliases=("best",)).version
        backend.update_version(second.id, VersionUpdate(aliases=["keep"]))
        backend.delete_version(third.id, delete_aliases=True)
        latest = backend.resolve_version(ENTITY, PROJECT, "cats", "latest")
        assert latest.id == second.id and set(latest.aliases) == {"keep", "latest"}
        with pytest.raises(ArtifactNotFoundError):
            backend.resolve_version(ENTITY, PROJECT, "cats", "best")

    def test_deleting_the_only_version_leaves_no_latest(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "a").version
        backend.delete_version(version.id, delete_aliases=True)
        with pytest.raises(ArtifactNotFoundError):
            backend.resolve_version(ENTITY, PROJECT, "cats", "latest")
        assert backend.get_collection(ENTITY, PROJECT, "cats").version_count == 0
