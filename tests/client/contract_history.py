"""Backend contract: the audit trail and time travel (issue 18 point 4)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from archivist.core.artifact_events import ArtifactEvent
from archivist.core.backend import Backend
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError
from archivist.core.models import VersionUpdate
from archivist.core.registries import ORGANIZATION
from tests.client.artifact_logging import ENTITY, PROJECT, log_text

MODELS = "wandb-registry-model"


def _history(backend: Backend, collection: str = "clf", **query: object) -> list[ArtifactEvent]:
    return backend.collection_history(ORGANIZATION, MODELS, collection, **query)  # type: ignore[arg-type]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _at(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment)


def _shift(moment: str, seconds: float) -> str:
    return (dt.datetime.fromisoformat(moment) + dt.timedelta(seconds=seconds)).isoformat()


class HistoryContract:
    def _linked(self, backend: Backend, count: int, first: int = 0) -> list[str]:
        """``count`` new model versions linked into ``model/clf``, their link ids."""
        ids = []
        for n in range(first, first + count):
            source = log_text(backend, "weights", f"w{n}", type_name="model").version
            ids.append(backend.link_version(source.id, "model", "clf").id)
        return ids

    def test_moves_are_recorded_and_as_of_answers_each_moment(self, backend: Backend) -> None:
        v0, v1, v2 = self._linked(backend, 3)
        backend.update_version(v0, VersionUpdate(aliases=["production"]))
        backend.update_version(v1, VersionUpdate(aliases=["production"]))
        backend.update_version(v2, VersionUpdate(aliases=["production"]))
        backend.update_version(v0, VersionUpdate(aliases=["production"]))  # the roll back
        moves = _history(backend, alias="production")
        assert [(e.event_type, e.version, e.previous_version) for e in moves] == [
            ("ADD_ARTIFACT_ALIAS", "v0", "v2"),
            ("ADD_ARTIFACT_ALIAS", "v2", "v1"),
            ("ADD_ARTIFACT_ALIAS", "v1", "v0"),
            ("ADD_ARTIFACT_ALIAS", "v0", None),
        ]
        assert all(e.actor == backend.default_entity() for e in moves)
        assert [e.id for e in moves] == sorted((e.id for e in moves), reverse=True)
        for event in moves:  # at the moment of each move, and just after it
            for moment in (event.created_at, _shift(event.created_at, 0.0000005)):
                held = backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "production", moment)
                assert held.version == event.version
        first = moves[-1].created_at
        with pytest.raises(ArtifactNotFoundError, match=r"no version held 'production'; it was first set at"):
            backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "production", _shift(first, -0.001))
        with pytest.raises(ArtifactNotFoundError, match="it was never set"):
            backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "staging", first)
        now = backend.resolve_version(ORGANIZATION, MODELS, "clf", "production")
        assert now.id == v0 and now.aliases == ("production",)

    def test_latest_and_version_numbers_as_of(self, backend: Backend) -> None:
        (v0,) = self._linked(backend, 1)
        before_v1 = _now()
        (v1,) = self._linked(backend, 1, first=1)
        after_v1 = _now()
        linked = _history(backend, event_types=["LINK_ARTIFACT"])[0]
        assert _at(before_v1) < _at(linked.created_at) < _at(after_v1)
        assert backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "latest", before_v1).id == v0
        assert backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "latest", after_v1).id == v1
        assert backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "v0", before_v1).id == v0
        with pytest.raises(
            ArtifactNotFoundError, match=r"'organization/wandb-registry-model/clf:v1' did not exist"
        ):
            backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "v1", before_v1)
        backend.delete_version(v1, delete_aliases=True)
        gone = _now()
        unlinked = _history(backend, limit=3)
        assert [e.event_type for e in unlinked] == [
            "ADD_ARTIFACT_ALIAS",
            "UNLINK_ARTIFACT",
            "REMOVE_ARTIFACT_ALIAS",
        ]
        assert (unlinked[0].alias, unlinked[0].version, unlinked[0].previous_version) == (
            "latest",
            "v0",
            None,
        )
        assert (unlinked[1].previous_version, unlinked[2].previous_version) == ("v1", "v1")
        assert len({e.created_at for e in unlinked}) == 1  # one change, one moment
        assert backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "v1", after_v1).id == v1
        with pytest.raises(ArtifactNotFoundError, match="did not exist"):
            backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "v1", gone)
        assert backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "latest", gone).id == v0
        assert backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "latest", after_v1).id == v1

    def test_a_removed_alias_names_nothing_after_its_removal(self, backend: Backend) -> None:
        (v0,) = self._linked(backend, 1)
        backend.update_version(v0, VersionUpdate(aliases=["candidate"]))
        backend.update_version(v0, VersionUpdate(aliases=[]))
        removed = _history(backend, alias="candidate")
        assert [(e.event_type, e.version, e.previous_version) for e in removed] == [
            ("REMOVE_ARTIFACT_ALIAS", None, "v0"),
            ("ADD_ARTIFACT_ALIAS", "v0", None),
        ]
        with pytest.raises(ArtifactNotFoundError, match="'candidate' was removed at"):
            backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "candidate", removed[0].created_at)
        assert (
            backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "candidate", removed[1].created_at).id
            == v0
        )

    def test_every_kind_of_change_of_an_ordinary_collection_is_listed(self, backend: Backend) -> None:
        first = log_text(backend, "data", "a", aliases=["best"]).version
        log_text(backend, "data", "b")
        log_text(backend, "data", "a")  # identical to v0: latest moves back, nothing is created
        backend.update_version(first.id, VersionUpdate(tags=["gold", "checked"]))
        backend.update_version(first.id, VersionUpdate(tags=["gold"]))
        events = backend.collection_history(ENTITY, PROJECT, "data")
        assert [(e.event_type, e.alias or e.tag, e.version, e.previous_version) for e in events] == [
            ("REMOVE_ARTIFACT_TAG", "checked", None, "v0"),
            ("ADD_ARTIFACT_TAG", "checked", "v0", None),
            ("ADD_ARTIFACT_TAG", "gold", "v0", None),
            ("ADD_ARTIFACT_ALIAS", "latest", "v0", "v1"),
            ("ADD_ARTIFACT_ALIAS", "latest", "v1", "v0"),
            ("CREATE_ARTIFACT", None, "v1", None),
            ("ADD_ARTIFACT_ALIAS", "latest", "v0", None),
            ("ADD_ARTIFACT_ALIAS", "best", "v0", None),
            ("CREATE_ARTIFACT", None, "v0", None),
        ]
        assert {(e.entity, e.project, e.collection) for e in events} == {(ENTITY, PROJECT, "data")}
        page = backend.collection_history(ENTITY, PROJECT, "data", limit=4)
        rest = backend.collection_history(ENTITY, PROJECT, "data", before=page[-1].id, limit=10)
        assert page + rest == events
        latest_moves = backend.collection_history(ENTITY, PROJECT, "data", alias="latest", limit=1)
        assert latest_moves == [events[3]]
        created = backend.collection_history(ENTITY, PROJECT, "data", event_types=["CREATE_ARTIFACT"])
        assert [e.version for e in created] == ["v1", "v0"]
        backend.delete_version(first.id, delete_aliases=True)
        deleted = backend.collection_history(ENTITY, PROJECT, "data", limit=4)
        assert [(e.event_type, e.alias) for e in deleted] == [
            ("ADD_ARTIFACT_ALIAS", "latest"),
            ("DELETE_ARTIFACT", None),
            ("REMOVE_ARTIFACT_ALIAS", "latest"),
            ("REMOVE_ARTIFACT_ALIAS", "best"),
        ]

    def test_a_change_that_fails_writes_no_event(self, backend: Backend) -> None:
        v0, v1 = self._linked(backend, 2)
        backend.update_version(v0, VersionUpdate(aliases=["production"]))
        before = _history(backend)
        with pytest.raises(InvalidInputError, match="invalid tag"):  # checked after the alias moved
            backend.update_version(v1, VersionUpdate(aliases=["production"], tags=["no/slash"]))
        assert _history(backend) == before
        assert backend.resolve_version(ORGANIZATION, MODELS, "clf", "production").id == v0

    def test_unlinking_by_deleting_the_source_is_recorded(self, backend: Backend) -> None:
        source = log_text(backend, "weights", "w", type_name="model").version
        backend.link_version(source.id, "model", "clf", ["production"])
        backend.delete_version(source.id, delete_aliases=True)
        events = _history(backend)
        assert [(e.event_type, e.alias) for e in events] == [
            ("UNLINK_ARTIFACT", None),
            ("REMOVE_ARTIFACT_ALIAS", "production"),
            ("REMOVE_ARTIFACT_ALIAS", "latest"),
            ("ADD_ARTIFACT_ALIAS", "production"),
            ("ADD_ARTIFACT_ALIAS", "latest"),
            ("LINK_ARTIFACT", None),
        ]

    def test_two_clients_moving_one_alias_at_once(self, backend: Backend) -> None:
        v0, v1 = self._linked(backend, 2)
        start = threading.Barrier(2)
        failures: list[BaseException] = []

        def move(version_id: str) -> None:
            try:
                start.wait()
                backend.update_version(version_id, VersionUpdate(aliases=["production"]))
            except BaseException as error:  # reported below
                failures.append(error)

        threads = [threading.Thread(target=move, args=(v,)) for v in (v0, v1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures
        held = [v for v in (v0, v1) if "production" in backend.get_version(v).aliases]
        assert len(held) == 1
        moves = _history(backend, alias="production")
        assert len(moves) == 2
        winner = backend.resolve_version(ORGANIZATION, MODELS, "clf", "production")
        assert moves[0].version == winner.version and moves[0].previous_version == moves[1].version
        assert moves[1].previous_version is None

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"limit": 0}, "invalid limit 0"),
            ({"limit": 1001}, "invalid limit 1001"),
            ({"before": -1}, "invalid before -1"),
            ({"event_types": ["MOVE"]}, "unknown event type 'MOVE'"),
            ({"alias": ""}, "invalid alias ''"),
        ],
    )
    def test_bad_history_queries_are_named(
        self, backend: Backend, query: dict[str, object], message: str
    ) -> None:
        self._linked(backend, 1)
        with pytest.raises(InvalidInputError, match=message):
            _history(backend, **query)

    def test_bad_moments_and_absent_collections_are_named(self, backend: Backend) -> None:
        self._linked(backend, 1)
        with pytest.raises(InvalidInputError, match="as_of 'yesterday' is not a time"):
            backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "latest", "yesterday")
        with pytest.raises(
            ArtifactNotFoundError, match="'organization/wandb-registry-model/nothing' not found"
        ):
            backend.resolve_version_as_of(ORGANIZATION, MODELS, "nothing", "latest", "2030-01-01")
        with pytest.raises(ArtifactNotFoundError, match="'ent/proj/nothing' not found"):
            backend.collection_history(ENTITY, PROJECT, "nothing")
        naive = backend.resolve_version_as_of(ORGANIZATION, MODELS, "clf", "latest", "2999-01-01T00:00:00")
        assert naive.version == "v0"
