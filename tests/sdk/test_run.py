"""init(), Run, finish and run states, save(), module-level shortcuts, and what
happens when the process ends without finish (exit, uncaught exception, SIGKILL)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archivist.client.transfer.hashing import hash_file
from archivist.core.errors import (
    ConflictError,
    InvalidInputError,
    RunNotFoundError,
    UsageError,
)
from archivist.core.models import RunRef, RunState
from archivist.core.settings import Settings
from archivist.sdk import session
from archivist.sdk.artifact import Artifact
from archivist.sdk.context import get_context
from archivist.sdk.public_runs import get_public_run

REPO_ROOT = Path(__file__).resolve().parents[2]


def stored(run: session.Run):
    return get_context().backend.get_run(RunRef(run.entity, run.project, run.id))


# --- init ---------------------------------------------------------------------------------------
def test_init_defaults(archivist_env: Path, default_entity: str) -> None:
    run = session.init()
    assert run.project == "uncategorized" and run.entity == default_entity
    assert re.fullmatch(r"[a-z0-9]{8}", run.id)
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", run.name)
    assert run.path == f"{default_entity}/uncategorized/{run.id}"
    assert os.path.isdir(run.dir) and run.dir.startswith(str(archivist_env))
    assert run.state == RunState.RUNNING == "running"
    assert session.current_run() is run
    record = stored(run)
    assert record.state is RunState.RUNNING
    assert (record.host, record.pid) == (socket.gethostname(), os.getpid())
    assert record.name == run.name
    run.finish()
    assert run.state == "finished" and stored(run).state is RunState.FINISHED
    assert session.current_run() is None


def test_init_arguments_are_stored(archivist_env: Path, tmp_path: Path) -> None:
    run = session.init(
        project="proj",
        entity="team",
        job_type="train",
        name="first",
        notes="hello",
        tags=["a", "b c"],
        group="grp",
        id="my-run_1",
        dir=tmp_path / "rundir",
    )
    assert run.dir.startswith(str(tmp_path / "rundir"))
    run.finish()
    record = stored(run)
    assert record.ref == RunRef("team", "proj", "my-run_1")
    assert (record.name, record.job_type, record.notes, record.group) == ("first", "train", "hello", "grp")
    assert record.tags == ("a", "b c")


def test_project_and_entity_defaults_come_from_settings(
    archivist_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHIVIST_PROJECT", "from-env")
    monkeypatch.setenv("ARCHIVIST_ENTITY", "me")
    with session.init() as run:
        assert (run.entity, run.project) == ("me", "from-env")


@pytest.mark.embedded_only("checks the folder the embedded store is created in")
def test_settings_choose_the_embedded_store_folder(archivist_env: Path) -> None:
    other_home = archivist_env.parent / "other-home"
    settings = Settings.from_env().evolve(home=str(other_home), project="explicit")
    with session.init(settings=settings) as run2:
        assert run2.project == "explicit"
    assert (other_home / "meta.sqlite").exists()
    with session.init(settings={"project": "from-dict", "start_method": "thread"}) as run3:
        assert run3.project == "from-dict"
    with pytest.raises(ValueError, match="Settings has no field 'unknown_wandb_setting'"):
        session.init(settings={"project": "from-dict", "unknown_wandb_setting": 1})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "bad id!"}, "run id"),
        ({"tags": [""]}, "run tag"),
        ({"tags": ["x" * 129]}, "run tag"),
        ({"project": "a/b"}, "project"),
        ({"entity": "bad entity"}, "entity"),
        ({"mode": "sometimes"}, "mode"),
        ({"reinit": "maybe"}, "reinit"),
        ({"resume": "perhaps", "id": "x1"}, "resume"),
        ({"resume": "must"}, "id"),
        ({"settings": 42}, "settings"),
    ],
)
def test_invalid_init_arguments(archivist_env: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        session.init(**kwargs)
    assert session.current_run() is None


def test_unknown_wandb_arguments_are_ignored(archivist_env: Path) -> None:
    with session.init(project="p", sync_tensorboard=True, monitor_gym=False, save_code=True) as run:
        assert run.project == "p"


def test_resume_rules(archivist_env: Path) -> None:
    with pytest.raises(RunNotFoundError, match="resume='must'"):
        session.init(project="p", id="ghost", resume="must")
    with session.init(project="p", id="r1", name="orig", job_type="train", config={"a": 1}, tags=["t"]):
        pass
    with pytest.raises(ConflictError, match=r"resume='never'.*r1"):
        session.init(project="p", id="r1", resume="never")
    with session.init(project="p", id="r1", resume="allow", config={"b": 2}) as again:
        assert again.name == "orig" and again.job_type == "train" and again.tags == ("t",)
        assert again.config.as_dict() == {"a": 1, "b": 2}
        assert stored(again).state is RunState.RUNNING
    assert stored(again).config == {"a": 1, "b": 2}
    with session.init(project="p", id="r1", name="renamed", tags=["u"], config={"a": 5}) as third:
        assert (third.name, third.tags, third.job_type) == ("renamed", ("u",), "train")
    assert (stored(third).name, stored(third).tags, stored(third).config["a"]) == ("renamed", ("u",), 5)
    with pytest.raises(ConflictError, match="'a'"):
        session.init(project="p", id="r1", config={"a": 6}, allow_val_change=False)
    with session.init(project="p", id="fresh", resume="allow") as fresh:
        assert fresh.config.as_dict() == {}


# --- finishing and states -----------------------------------------------------------------------
def test_context_manager_finishes(archivist_env: Path) -> None:
    with session.init(project="p") as run:
        run.log({"x": 1})
    assert stored(run).state is RunState.FINISHED
    assert run.state == "finished"


def test_exception_in_context_marks_failed_and_propagates(archivist_env: Path) -> None:
    with pytest.raises(KeyError, match="boom"), session.init(project="p") as run:
        run.log({"x": 1})
        raise KeyError("boom")
    assert stored(run).state is RunState.FAILED
    assert run.summary["x"] == 1 and stored(run).summary["x"] == 1


def test_finish_with_exit_code_and_twice(archivist_env: Path) -> None:
    run = session.init(project="p")
    run.finish(exit_code=2)
    run.finish()  # no-op
    assert stored(run).state is RunState.FAILED
    with pytest.raises(UsageError, match="finished"):
        run.save("*.txt")


def test_context_waits_for_pending_artifacts(archivist_env: Path) -> None:
    Path("weights.bin").write_bytes(os.urandom(50_000))
    with session.init(project="p") as run:
        art = Artifact("model", type="model")
        art.add_file("weights.bin")
        run.log_artifact(art, aliases=["best"])
    assert art.version == "v0"
    assert [a.id for a in run.logged_artifacts()] == [art.id]
    with session.init(project="p") as reader:
        used = reader.use_artifact("model:best")
        assert used.id == art.id
    assert [a.id for a in reader.used_artifacts()] == [art.id]


def test_reinit_choices_as_w_and_b(archivist_env: Path) -> None:
    """In a script W&B's default returns the active run; True/'finish_previous' finish it."""
    first = session.init(project="p")
    assert session.init(project="p") is first
    assert session.init(project="p", reinit="default") is first
    assert stored(first).state is RunState.RUNNING
    second = session.init(project="p", reinit="finish_previous")
    assert stored(first).state is RunState.FINISHED
    assert session.current_run() is second
    assert session.init(project="p", reinit="return_previous") is second
    assert session.init(project="p", reinit=False) is second
    parallel = session.init(project="p", reinit="create_new")
    assert session.current_run() is second and parallel is not second
    assert stored(parallel).state is RunState.RUNNING
    third = session.init(project="p", reinit=True)  # finishes every active run
    assert stored(second).state is RunState.FINISHED
    assert stored(parallel).state is RunState.FINISHED
    assert session.current_run() is third
    session.teardown()
    assert stored(third).state is RunState.FINISHED and session.current_run() is None


def test_name_notes_and_tags_can_change(archivist_env: Path) -> None:
    with session.init(project="p", name="before") as run:
        run.name = "after"
        run.notes = "new notes"
        run.tags = ["x", "y"]
        with pytest.raises(InvalidInputError, match="tag"):
            run.tags = ["good", ""]
    record = stored(run)
    assert (record.name, record.notes, record.tags) == ("after", "new notes", ("x", "y"))


def test_disabled_mode_stores_nothing(archivist_env: Path) -> None:
    with session.init(project="p", mode="disabled", config={"lr": 1}) as run:
        run.log({"x": 1})
        run.config.epochs = 3
        run.summary["acc"] = 1.0
        assert run.save("*.py") == []
        art = Artifact("thing", type="dataset")
        assert run.log_artifact(art) is art
        assert run.use_artifact("thing:latest") == "thing:latest"
        assert run.config.as_dict() == {"lr": 1, "epochs": 3}
        session.log({"y": 2})  # the module functions accept it too
        assert (run.summary["x"], run.summary["y"], run.step) == (1, 2, 2)
        run.name = "renamed"
    assert run.state == "finished"
    assert not archivist_env.exists()


# --- module-level shortcuts -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: session.save("x"), "save"),
        (lambda: session.log_artifact("x"), "log_artifact"),
        (lambda: session.use_artifact("x:latest"), "use_artifact"),
        (lambda: session.link_artifact(None, "x"), "link_artifact"),
    ],
)
def test_shortcuts_need_a_run(archivist_env: Path, call, name: str) -> None:
    with pytest.raises(UsageError, match=rf"archivist.init\(\) before archivist.{name}\(\)"):
        call()


def test_shortcuts_act_on_the_current_run(archivist_env: Path) -> None:
    session.finish()  # nothing to finish: no error
    Path("notes.txt").write_text("n")
    Path("table.csv").write_text("a\n1\n")
    run = session.init(project="p")
    assert session.save("notes.txt") == ["notes.txt"]
    logged = session.log_artifact("table.csv", type="dataset")
    logged.wait()
    assert logged.name == f"run-{run.id}-table.csv:v0"
    assert session.use_artifact(f"run-{run.id}-table.csv:latest").id == logged.id
    session.finish(exit_code=0)
    assert stored(run).state is RunState.FINISHED
    assert [f.path for f in get_public_run(get_context(), run.path).files()] == ["notes.txt"]


# --- save ---------------------------------------------------------------------------------------
def stored_files(run: session.Run) -> dict[str, str]:
    return {
        f.path: f.digest
        for f in get_context().backend.list_run_files(RunRef(run.entity, run.project, run.id))
    }


def test_save_relative_glob_keeps_paths_from_cwd(archivist_env: Path) -> None:
    Path("out/sub").mkdir(parents=True)
    Path("out/a.txt").write_text("a")
    Path("out/sub/b.txt").write_text("b")
    Path("out/c.log").write_text("c")
    with session.init(project="p") as run:
        assert run.save("out/*.txt") == ["out/a.txt"]
        assert run.save("out/**/*.txt") == ["out/a.txt", "out/sub/b.txt"]
        assert run.save("out/sub/*.txt", base_path="out") == ["sub/b.txt"]
    files = stored_files(run)
    assert set(files) == {"out/a.txt", "out/sub/b.txt", "sub/b.txt"}
    assert files["out/a.txt"] == hash_file("out/a.txt")[0]
    assert get_context().transfer.read_bytes(files["sub/b.txt"]) == b"b"


def test_save_absolute_glob_keeps_file_names(archivist_env: Path, tmp_path: Path) -> None:
    folder = tmp_path / "abs"
    folder.mkdir()
    (folder / "m.pt").write_bytes(b"weights")
    with session.init(project="p") as run:
        assert run.save(str(folder / "*.pt")) == ["m.pt"]
    assert set(stored_files(run)) == {"m.pt"}


def test_save_refusals_and_empty_matches(archivist_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("inside").mkdir()
    with session.init(project="p") as run:
        assert run.save("nothing-*.bin") == []
        assert "matched no files" in capsys.readouterr().err
        with pytest.raises(InvalidInputError, match="inside base_path"):
            run.save("../*.txt")
        with pytest.raises(InvalidInputError, match="inside base_path"):
            run.save("/etc/hostname", base_path=str(Path.cwd()))
        with pytest.raises(InvalidInputError, match="policy"):
            run.save("*.txt", policy="sometimes")
    assert stored_files(run) == {}


def test_live_files_are_stored_again_at_finish_when_changed(archivist_env: Path) -> None:
    Path("live.txt").write_text("v1")
    Path("now.txt").write_text("v1")
    with session.init(project="p") as run:
        run.save("live.txt")
        run.save("now.txt", policy="now")
        run.save("late-*.txt", policy="end")
        Path("live.txt").write_text("version two")
        Path("now.txt").write_text("version two")
        Path("late-1.txt").write_text("appeared later")
    files = stored_files(run)
    transfer = get_context().transfer
    assert transfer.read_bytes(files["live.txt"]) == b"version two"
    assert transfer.read_bytes(files["now.txt"]) == b"v1"
    assert transfer.read_bytes(files["late-1.txt"]) == b"appeared later"


# --- the process ends without finish() --------------------------------------------------------------
def run_child(code: str, run_id: str, wait: bool = True) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    script = "import time\nfrom archivist.sdk import session\n" + textwrap.dedent(code).replace(
        "RUN_ID", run_id
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if wait:
        child.wait(timeout=60)
    return child


def child_state(run_id: str) -> str:
    return get_public_run(get_context(), f"child/{run_id}").state


@pytest.mark.slow
def test_normal_exit_without_finish_reads_finished(archivist_env: Path) -> None:
    child = run_child(
        """
        run = session.init(project="child", id="RUN_ID", config={"a": 1})
        run.log({"loss": 0.5})
        run.config.b = 2
        """,
        "normal",
    )
    assert child.returncode == 0, child.stderr.read()
    assert child_state("normal") == "finished"
    stored_run = get_public_run(get_context(), "child/normal")
    assert stored_run.config == {"a": 1, "b": 2}
    assert [r["loss"] for r in stored_run.scan_history()] == [0.5]


@pytest.mark.slow
def test_uncaught_exception_reads_failed(archivist_env: Path) -> None:
    child = run_child(
        """
        run = session.init(project="child", id="RUN_ID")
        run.log({"loss": 0.5})
        raise RuntimeError("boom in child")
        """,
        "failing",
    )
    assert child.returncode == 1
    assert "RuntimeError: boom in child" in child.stderr.read()  # the original hook still prints
    assert child_state("failing") == "failed"
    assert [r["loss"] for r in get_public_run(get_context(), "child/failing").scan_history()] == [0.5]


@pytest.mark.slow
def test_killed_process_reads_crashed(archivist_env: Path) -> None:
    child = run_child(
        """
        run = session.init(project="child", id="RUN_ID")
        print("ready", flush=True)
        time.sleep(120)
        """,
        "killed",
        wait=False,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
        assert child_state("killed") == "running"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert child_state("killed") == "crashed"
