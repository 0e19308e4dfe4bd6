"""Records survive to_dict -> JSON -> from_dict unchanged; malformed answers are CommError."""

from __future__ import annotations

import json

import pytest

from archivist.core.accounts import ApiKeyRecord, NewApiKey, NewUser, UserRecord
from archivist.core.errors import CommError
from archivist.core.models import (
    CommitResult,
    LineageEdge,
    LineageGraph,
    LineageNode,
    RunRecord,
    RunRef,
    RunState,
    RunUpdate,
    VersionRecord,
    VersionState,
    VersionUpdate,
    to_dict,
)
from archivist.core.record_json import from_dict, update_to_dict

REF = RunRef("ent", "proj", "r1")
RUN = RunRecord(
    ref=REF, name="run", job_type="train", group=None, notes=None, tags=("a", "b"), state=RunState.CRASHED,
    config={"lr": 0.1, "layers": [1, 2]}, summary={}, created_at="t0", updated_at="t1", host="h", pid=3,
)  # fmt: skip
VERSION = VersionRecord(
    id="7", entity="ent", project="proj", collection="cats", type="dataset", version_index=2, digest="d" * 64,
    manifest_digest="m" * 64, size=10, file_count=1, description=None, metadata={"x": {"y": None}},
    aliases=("latest",), tags=(), ttl_seconds=None, state=VersionState.COMMITTED, created_at="t",
    updated_at="t", producer=REF, history_step=4,
)  # fmt: skip


def _round_trip(record: object) -> object:
    return from_dict(type(record), json.loads(json.dumps(to_dict(record))))


@pytest.mark.parametrize(
    "record",
    [
        RUN,
        VERSION,
        CommitResult(VERSION, created=False),
        LineageGraph(
            root="7",
            nodes=(
                LineageNode("version", "7", "cats:v2", version=VERSION),
                LineageNode("run", REF.path, "run", run=RUN),
            ),
            edges=(LineageEdge(REF.path, "7", "logged"),),
        ),
        NewUser(
            UserRecord("ada", False, "t"),
            NewApiKey(ApiKeyRecord("kid_0123456789ab", "ada", None, "t", False), "ak_xyz"),
        ),
    ],
)
def test_round_trip(record: object) -> None:
    assert _round_trip(record) == record


def test_float_fields_accept_json_integers_and_enums_come_back() -> None:
    rebuilt = from_dict(VersionRecord, {**to_dict(VERSION), "state": "DELETED"})
    assert rebuilt.state is VersionState.DELETED and isinstance(rebuilt.aliases, tuple)


def test_update_to_dict_sends_only_the_fields_set() -> None:
    assert update_to_dict(VersionUpdate(aliases=["a"], description=None)) == {
        "description": None,
        "aliases": ["a"],
    }
    assert update_to_dict(RunUpdate(state=RunState.FINISHED)) == {"state": "finished"}
    assert update_to_dict(RunUpdate()) == {}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"version_index": "2"}, "VersionRecord.version_index"),
        ({"aliases": "latest"}, "VersionRecord.aliases"),
        ({"state": "LIVE"}, "VersionRecord.state"),
        ({"producer": {"entity": "e"}}, "project"),
    ],
)
def test_malformed_answers_are_comm_errors_naming_the_field(change: dict, named: str) -> None:
    with pytest.raises(CommError, match=named):
        from_dict(VersionRecord, {**to_dict(VERSION), **change})
    with pytest.raises(CommError, match="lacks the field 'id'"):
        from_dict(VersionRecord, {k: v for k, v in to_dict(VERSION).items() if k != "id"})
