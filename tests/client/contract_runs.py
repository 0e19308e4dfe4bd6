"""Backend contract: runs, their history and files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from archivist.core.backend import Backend
from archivist.core.errors import BlobNotFoundError, InvalidInputError, RunNotFoundError
from archivist.core.manifest import hash_bytes
from archivist.core.models import RunFile, RunRef, RunSpec, RunState, RunUpdate
from tests.client.artifact_logging import ENTITY, PROJECT, blobs_of

REF = RunRef(ENTITY, PROJECT, "run-1")


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


class RunContract:
    def test_create_run(self, backend: Backend) -> None:
        record = backend.upsert_run(
            RunSpec(ref=REF, job_type="train", group="g", notes="n", tags=("t1",), config={"lr": 0.1})
        )
        assert record.ref == REF and record.name == "run-1"
        assert (record.job_type, record.group, record.notes, record.tags) == ("train", "g", "n", ("t1",))
        assert record.state is RunState.RUNNING
        assert record.config == {"lr": 0.1} and record.summary == {}
        assert backend.get_run(REF) == record
        assert PROJECT in backend.list_projects(ENTITY)

    def test_resume_sets_running_and_new_host_and_pid(self, backend: Backend) -> None:
        created = backend.upsert_run(RunSpec(ref=REF, name="first", config={"a": 1}))
        backend.update_run(REF, RunUpdate(state=RunState.FINISHED))
        resumed = backend.upsert_run(RunSpec(ref=REF, host="elsewhere", pid=4242))
        assert resumed.state is RunState.RUNNING
        assert (resumed.host, resumed.pid) == ("elsewhere", 4242)
        assert resumed.name == "first" and resumed.config == {"a": 1}
        assert resumed.created_at == created.created_at

    def test_update_run_replaces_given_fields(self, backend: Backend) -> None:
        backend.upsert_run(RunSpec(ref=REF, config={"a": 1}, notes="keep"))
        backend.update_run(REF, RunUpdate(summary={"acc": 0.9}))
        updated = backend.update_run(REF, RunUpdate(config={"b": 2}, state="finished", name="renamed"))
        assert updated.config == {"b": 2} and updated.summary == {"acc": 0.9}
        assert updated.state is RunState.FINISHED and updated.name == "renamed" and updated.notes == "keep"
        with pytest.raises(InvalidInputError, match="exploded"):
            backend.update_run(REF, RunUpdate(state="exploded"))

    def test_unknown_run(self, backend: Backend) -> None:
        with pytest.raises(RunNotFoundError, match="ent/proj/run-1"):
            backend.get_run(REF)
        with pytest.raises(RunNotFoundError):
            backend.update_run(REF, RunUpdate(notes="x"))

    def test_invalid_run_id(self, backend: Backend) -> None:
        with pytest.raises(InvalidInputError):
            backend.upsert_run(RunSpec(ref=RunRef(ENTITY, PROJECT, "bad id")))

    def test_running_run_of_a_dead_process_on_this_host_reads_as_crashed(self, backend: Backend) -> None:
        host = socket.gethostname()
        backend.upsert_run(RunSpec(ref=REF, host=host, pid=_dead_pid()))
        alive = RunRef(ENTITY, PROJECT, "alive")
        backend.upsert_run(RunSpec(ref=alive, host="some-other-host", pid=_dead_pid()))
        assert backend.get_run(REF).state is RunState.CRASHED
        assert backend.get_run(alive).state is RunState.RUNNING
        states = {run.ref.run_id: run.state for run in backend.list_runs(ENTITY, PROJECT)}
        assert states == {"run-1": RunState.CRASHED, "alive": RunState.RUNNING}
        # stored as crashed: resuming makes it running again with the live pid
        resumed = backend.upsert_run(RunSpec(ref=REF, host=host, pid=os.getpid()))
        assert resumed.state is RunState.RUNNING and backend.get_run(REF).state is RunState.RUNNING

    def test_list_runs_newest_first(self, backend: Backend) -> None:
        for run_id in ("a", "b", "c"):
            backend.upsert_run(RunSpec(ref=RunRef(ENTITY, PROJECT, run_id)))
            time.sleep(0.002)
        assert [r.ref.run_id for r in backend.list_runs(ENTITY, PROJECT)] == ["c", "b", "a"]
        assert backend.list_runs(ENTITY, "nowhere") == []

    def test_history_is_read_back_in_step_order(self, backend: Backend) -> None:
        backend.upsert_run(RunSpec(ref=REF))
        backend.append_history(REF, [{"_step": 2, "loss": 0.5}, {"_step": 0, "loss": 1.0}])
        backend.append_history(REF, [{"_step": 1, "loss": 0.7}, {"_step": 3, "loss": 0.1}])
        assert [row["_step"] for row in backend.read_history(REF)] == [0, 1, 2, 3]
        assert [row["loss"] for row in backend.read_history(REF, min_step=1, max_step=3)] == [0.7, 0.5]
        assert [row["_step"] for row in backend.read_history(REF, limit=2)] == [0, 1]
        backend.append_history(REF, [{"_step": 1, "loss": 0.6, "acc": 0.2}])
        assert backend.read_history(REF, min_step=1, max_step=2) == [{"_step": 1, "loss": 0.6, "acc": 0.2}]

    def test_history_rows_need_a_step(self, backend: Backend) -> None:
        backend.upsert_run(RunSpec(ref=REF))
        with pytest.raises(InvalidInputError, match="_step"):
            backend.append_history(REF, [{"loss": 1.0}])
        with pytest.raises(RunNotFoundError):
            backend.append_history(RunRef(ENTITY, PROJECT, "ghost"), [{"_step": 0}])

    def test_run_files(self, backend: Backend) -> None:
        backend.upsert_run(RunSpec(ref=REF))
        one, two = b"first file", b"second"
        for data in (one, two):
            blobs_of(backend).upload_bytes(hash_bytes(data), data)
        backend.add_run_files(
            REF, [RunFile("out/b.txt", hash_bytes(one), len(one)), RunFile("a.txt", hash_bytes(one), 10)]
        )
        backend.add_run_files(REF, [RunFile("out/b.txt", hash_bytes(two), len(two))])
        assert backend.list_run_files(REF) == [
            RunFile("a.txt", hash_bytes(one), 10),
            RunFile("out/b.txt", hash_bytes(two), len(two)),
        ]

    def test_run_files_must_be_stored_and_well_named(self, backend: Backend) -> None:
        backend.upsert_run(RunSpec(ref=REF))
        absent = hash_bytes(b"absent")
        with pytest.raises(BlobNotFoundError, match="a.txt"):
            backend.add_run_files(REF, [RunFile("a.txt", absent, 6)])
        blobs_of(backend).upload_bytes(hash_bytes(b"x"), b"x")
        with pytest.raises(InvalidInputError):
            backend.add_run_files(REF, [RunFile("../a.txt", hash_bytes(b"x"), 1)])
        assert backend.list_run_files(REF) == []
