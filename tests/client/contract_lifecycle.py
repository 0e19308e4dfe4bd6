"""Backend contract: delete and restore, TTL policies and the team default, retention rules
and the sweep that applies them (time moved with ``as_of``, never slept through)."""

from __future__ import annotations

import datetime as dt

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError, ConflictError, InvalidInputError, NotFoundError
from archivist.core.lifecycle import TTL_DISABLED, TTL_INHERIT, RetentionRule
from archivist.core.models import CollectionUpdate, RunRef, RunSpec, VersionQuery, VersionUpdate
from tests.client.artifact_logging import ENTITY, PROJECT, log_text

DAY = 86400


def _later(days: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)).isoformat()


def _indexes(backend: Backend, name: str) -> list[int]:
    return sorted(v.version_index for v in backend.list_versions(VersionQuery(ENTITY, PROJECT, name)))


def _swept(backend: Backend, days: float, dry_run: bool = False) -> list[str]:
    report = backend.sweep(ENTITY, dry_run=dry_run, as_of=_later(days))
    assert report.dry_run is dry_run
    return sorted(item.name.rsplit("/", 1)[1] for item in report.deleted)


class LifecycleContract:
    # --- delete and restore -----------------------------------------------------------------------
    def test_delete_then_restore_round_trip(self, backend: Backend) -> None:
        first = log_text(backend, "cats", "one").version
        second = log_text(backend, "cats", "two").version
        backend.delete_version(second.id, delete_aliases=True)
        assert _indexes(backend, "cats") == [0]
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "latest").id == first.id
        deleted = backend.list_deleted_versions(ENTITY, PROJECT, "cats")
        assert [d.version for d in deleted] == ["v1"] and deleted[0].deleted_at is not None
        assert deleted[0].state.value == "DELETED"
        restored = backend.restore_version(ENTITY, PROJECT, "cats", 1)
        assert (restored.id, restored.version, restored.state.value) == (second.id, "v1", "COMMITTED")
        assert restored.deleted_at is None and restored.aliases == ("latest",)
        assert _indexes(backend, "cats") == [0, 1]
        assert backend.list_deleted_versions(ENTITY, PROJECT) == []

    def test_numbers_are_never_reused_after_deletion(self, backend: Backend) -> None:
        log_text(backend, "cats", "one")
        second = log_text(backend, "cats", "two").version
        backend.delete_version(second.id, delete_aliases=True)
        assert log_text(backend, "cats", "three").version.version == "v2"

    def test_restore_refuses_what_is_not_deleted(self, backend: Backend) -> None:
        log_text(backend, "cats", "one")
        for entity, collection, index in ((ENTITY, "cats", 0), (ENTITY, "cats", 7), (ENTITY, "dogs", 0)):
            with pytest.raises(ArtifactNotFoundError, match="no deleted artifact"):
                backend.restore_version(entity, PROJECT, collection, index)
        with pytest.raises(InvalidInputError):
            backend.restore_version(ENTITY, PROJECT, "cats", -1)

    def test_restoring_a_version_of_a_deleted_collection_revives_it(self, backend: Backend) -> None:
        log_text(backend, "cats", "one")
        log_text(backend, "cats", "two")
        backend.delete_collection(ENTITY, PROJECT, "cats")
        assert {d.version for d in backend.list_deleted_versions(ENTITY, PROJECT, "cats")} == {"v0", "v1"}
        backend.restore_version(ENTITY, PROJECT, "cats", 0)
        assert backend.get_collection(ENTITY, PROJECT, "cats").version_count == 1
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "latest").version == "v0"

    def test_restore_refuses_when_a_new_collection_took_the_name(self, backend: Backend) -> None:
        log_text(backend, "cats", "one")
        backend.delete_collection(ENTITY, PROJECT, "cats")
        fresh = log_text(backend, "cats", "fresh").version  # a new collection, at v0
        with pytest.raises(ConflictError, match="a newer artifact named 'cats'"):
            backend.restore_version(ENTITY, PROJECT, "cats", 0)
        backend.delete_version(fresh.id, delete_aliases=True)
        assert backend.restore_version(ENTITY, PROJECT, "cats", 0).id == fresh.id  # the live one first

    def test_deleting_a_project_hides_it_until_restored(self, backend: Backend) -> None:
        log_text(backend, "cats", "one")
        log_text(backend, "dogs", "two", project="other")
        backend.delete_project(ENTITY, PROJECT)
        assert backend.list_projects(ENTITY) == ["other"]
        with pytest.raises(NotFoundError):
            backend.get_project(ENTITY, PROJECT)
        with pytest.raises(ArtifactNotFoundError):
            backend.resolve_version(ENTITY, PROJECT, "cats", "latest")
        with pytest.raises(NotFoundError):
            backend.delete_project(ENTITY, PROJECT)
        backend.restore_version(ENTITY, PROJECT, "cats", 0)
        assert backend.list_projects(ENTITY) == ["other", PROJECT]
        assert backend.get_project(ENTITY, PROJECT).collection_count == 1

    def test_delete_project_refuses_registries_and_unknown_projects(self, backend: Backend) -> None:
        with pytest.raises(NotFoundError):
            backend.delete_project(ENTITY, "nowhere")
        with pytest.raises(InvalidInputError, match="registry"):
            backend.delete_project(ENTITY, "wandb-registry-model")

    # --- TTL --------------------------------------------------------------------------------------
    def test_ttl_policies_and_the_team_default(self, backend: Backend) -> None:
        inherits = log_text(backend, "cats", "one").version
        own = log_text(backend, "cats", "two", ttl_seconds=DAY).version
        disabled = log_text(backend, "cats", "three", ttl_seconds=TTL_DISABLED).version
        assert (inherits.ttl_seconds, inherits.ttl_inherited, inherits.expires_at) == (None, True, None)
        assert own.ttl_seconds == DAY and not own.ttl_inherited and own.expires_at is not None
        assert disabled.ttl_seconds is None and not disabled.ttl_inherited
        assert backend.get_default_ttl(ENTITY) is None
        backend.set_default_ttl(ENTITY, 7 * DAY)
        assert backend.get_default_ttl(ENTITY) == 7 * DAY
        assert backend.get_version(inherits.id).ttl_seconds == 7 * DAY
        assert backend.get_version(own.id).ttl_seconds == DAY
        assert backend.get_version(disabled.id).ttl_seconds is None
        assert _swept(backend, 2, dry_run=True) == ["cats:v1"]
        assert _swept(backend, 8, dry_run=True) == ["cats:v0", "cats:v1"]
        assert _swept(backend, 8) == ["cats:v0", "cats:v1"]
        assert _indexes(backend, "cats") == [2]
        assert backend.resolve_version(ENTITY, PROJECT, "cats", "latest").id == disabled.id
        backend.restore_version(ENTITY, PROJECT, "cats", 0)  # restorable until purged
        backend.set_default_ttl(ENTITY, None)
        assert _swept(backend, 30) == []

    def test_ttl_edits_and_inherit_again(self, backend: Backend) -> None:
        version = log_text(backend, "cats", "one", ttl_seconds=DAY).version
        backend.set_default_ttl(ENTITY, 3 * DAY)
        assert backend.update_version(version.id, VersionUpdate(ttl_seconds=None)).ttl_seconds is None
        back = backend.update_version(version.id, VersionUpdate(ttl_seconds=TTL_INHERIT))
        assert back.ttl_seconds == 3 * DAY and back.ttl_inherited
        edited = backend.update_version(version.id, VersionUpdate(ttl_seconds=2 * DAY))
        assert edited.expires_at is not None and edited.created_at < edited.expires_at
        for bad in (0, -3, 1.5, True, "1d"):
            with pytest.raises(InvalidInputError, match="ttl"):
                backend.update_version(version.id, VersionUpdate(ttl_seconds=bad))
        for bad_default in (0, -1, True):
            with pytest.raises(InvalidInputError, match="(?i)ttl"):
                backend.set_default_ttl(ENTITY, bad_default)  # type: ignore[arg-type]

    def test_who_may_set_ttls(self, backend: Backend) -> None:
        assert backend.get_ttl_editors(ENTITY) == "members"  # the default: nothing changes
        backend.set_ttl_editors(ENTITY, "admins")
        assert backend.get_ttl_editors(ENTITY) == "admins"
        own = log_text(backend, "cats", "one", ttl_seconds=DAY).version  # this caller is an admin
        assert own.ttl_seconds == DAY and not own.ttl_inherited
        assert backend.update_version(own.id, VersionUpdate(ttl_seconds=2 * DAY)).ttl_seconds == 2 * DAY
        for bad in ("owners", "", None, 1):
            with pytest.raises(InvalidInputError, match="editors"):
                backend.set_ttl_editors(ENTITY, bad)  # type: ignore[arg-type]
        backend.set_ttl_editors(ENTITY, "Members")
        assert backend.get_ttl_editors(ENTITY) == "members"

    def test_generated_types_take_no_ttl(self, backend: Backend) -> None:
        with pytest.raises(InvalidInputError, match="generated type 'job'"):
            log_text(backend, "job-x", "j", type_name="job", ttl_seconds=DAY)
        backend.set_default_ttl(ENTITY, DAY)
        job = log_text(backend, "job-x", "j", type_name="job").version
        assert job.ttl_seconds is None and not job.ttl_inherited
        assert _swept(backend, 5) == []

    def test_linking_clears_the_ttl_and_links_refuse_one(self, backend: Backend) -> None:
        version = log_text(backend, "clf", "weights", type_name="model", ttl_seconds=DAY).version
        link = backend.link_version(version.id, "model", "classifier")
        assert backend.get_version(version.id).ttl_seconds is None
        with pytest.raises(InvalidInputError, match="Cannot set TTL for link artifact"):
            backend.update_version(link.id, VersionUpdate(ttl_seconds=DAY))
        backend.update_version(link.id, VersionUpdate(aliases=["staging"], ttl_seconds=None))
        with pytest.raises(InvalidInputError, match="linked to a registry"):
            backend.update_version(version.id, VersionUpdate(ttl_seconds=DAY))
        kept = backend.update_version(version.id, VersionUpdate(ttl_seconds=TTL_INHERIT))
        assert kept.ttl_seconds is None and not kept.ttl_inherited
        backend.delete_version(link.id, delete_aliases=True)  # unlinking does not restore it
        assert backend.get_version(version.id).ttl_seconds is None
        assert _swept(backend, 5) == []

    # --- retention --------------------------------------------------------------------------------
    def test_retention_rule_is_stored_and_cleared(self, backend: Backend) -> None:
        log_text(backend, "cats", "one")
        rule = RetentionRule(keep_last=3, max_age_seconds=30 * DAY)
        updated = backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate(retention=rule))
        assert updated.retention == rule
        assert backend.get_collection(ENTITY, PROJECT, "cats").retention == rule
        cleared = backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate(retention=None))
        assert cleared.retention is None
        with pytest.raises(InvalidInputError, match="keep_last"):
            RetentionRule(keep_last=0)

    def test_retention_keeps_the_last_n_and_the_pinned(self, backend: Backend) -> None:
        versions = [log_text(backend, "cats", f"c{i}", type_name="model").version for i in range(6)]
        backend.update_version(versions[0].id, VersionUpdate(aliases=["best"]))
        backend.link_version(versions[1].id, "model", "cats-linked")
        rule = RetentionRule(keep_last=2)
        backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate(retention=rule))
        assert _swept(backend, 0, dry_run=True) == ["cats:v2", "cats:v3"]
        assert _swept(backend, 0) == ["cats:v2", "cats:v3"]
        assert _indexes(backend, "cats") == [0, 1, 4, 5]
        assert _swept(backend, 0) == []

    def test_retention_keeps_linked_versions_and_inputs_of_kept_versions(self, backend: Backend) -> None:
        raw = [log_text(backend, "raw", f"r{i}").version for i in range(4)]
        linked = log_text(backend, "clf", "weights", type_name="model").version
        train = RunRef(ENTITY, PROJECT, "train")
        backend.upsert_run(RunSpec(ref=train))
        backend.record_use(train, raw[1].id)
        log_text(backend, "model", "m", run=train)  # a kept output: raw v1 is its input
        backend.link_version(linked.id, "model", "classifier")
        log_text(backend, "clf", "weights 2", type_name="model")
        log_text(backend, "clf", "weights 3", type_name="model")
        for name in ("raw", "clf"):
            backend.update_collection(
                ENTITY, PROJECT, name, CollectionUpdate(retention=RetentionRule(keep_last=1))
            )
        assert _swept(backend, 0) == ["clf:v1", "raw:v0", "raw:v2"]
        assert _indexes(backend, "raw") == [1, 3] and _indexes(backend, "clf") == [0, 2]

    def test_retention_by_age(self, backend: Backend) -> None:
        for i in range(3):
            log_text(backend, "cats", f"c{i}")
        rule = RetentionRule(max_age_seconds=10 * DAY)
        backend.update_collection(ENTITY, PROJECT, "cats", CollectionUpdate(retention=rule))
        assert _swept(backend, 5) == []
        assert _swept(backend, 11) == ["cats:v0", "cats:v1", "cats:v2"]
        assert backend.list_versions(VersionQuery(ENTITY, PROJECT, "cats")) == []

    def test_sweep_refuses_a_bad_time(self, backend: Backend) -> None:
        with pytest.raises(InvalidInputError, match="as_of"):
            backend.sweep(ENTITY, as_of="next tuesday")
        with pytest.raises(InvalidInputError):
            backend.sweep("bad entity")
