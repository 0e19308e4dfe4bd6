"""W&B's environment variables apply when the matching ARCHIVIST_* one is not set, on the
embedded store and on servers; WANDB_MODE=disabled stores nothing and opens no store."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import archivist
from archivist.core.settings import Settings
from archivist.sdk.context import get_context, reset_contexts
from archivist.sdk.run import DisabledRun


def _fresh_settings() -> None:
    reset_contexts()  # the next init/Api builds its settings from the changed environment


def test_run_defaults_come_from_w_and_b_names(
    archivist_env: Path, monkeypatch: pytest.MonkeyPatch, default_entity: str
) -> None:
    monkeypatch.setenv("WANDB_PROJECT", "from-wandb")
    monkeypatch.setenv("WANDB_JOB_TYPE", "train")
    monkeypatch.setenv("WANDB_RUN_GROUP", "sweep-1")
    monkeypatch.setenv("WANDB_TAGS", "baseline, small")
    monkeypatch.setenv("WANDB_NAME", "first try")
    monkeypatch.setenv("WANDB_NOTES", "lr search")
    if "ARCHIVIST_ENTITY" in os.environ:  # a server: the test's entity, by W&B's name
        monkeypatch.setenv("WANDB_ENTITY", os.environ["ARCHIVIST_ENTITY"])
        monkeypatch.delenv("ARCHIVIST_ENTITY")
    else:
        monkeypatch.setenv("WANDB_ENTITY", "someone")
    _fresh_settings()
    with archivist.init() as run:
        assert (run.project, run.job_type, run.group, run.name) == (
            "from-wandb",
            "train",
            "sweep-1",
            "first try",
        )
        assert run.tags == ("baseline", "small") and run.notes == "lr search"
        assert run.entity == os.environ["WANDB_ENTITY"]
    with archivist.init(project="mine", job_type="eval", group="g", name="n", tags=["t"]) as explicit:
        assert (explicit.project, explicit.job_type, explicit.group, explicit.name) == (
            "mine",
            "eval",
            "g",
            "n",
        )
        assert explicit.tags == ("t",)
    stored = archivist.Api().run(f"{os.environ['WANDB_ENTITY']}/from-wandb/{run.id}")
    assert (stored.job_type, stored.group, stored.tags) == ("train", "sweep-1", ["baseline", "small"])


def test_archivist_names_win_over_w_and_b_names(archivist_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_PROJECT", "wandb-project")
    monkeypatch.setenv("ARCHIVIST_PROJECT", "archivist-project")
    monkeypatch.setenv("WANDB_MODE", "disabled")
    monkeypatch.setenv("ARCHIVIST_MODE", "online")
    if "ARCHIVIST_BASE_URL" in os.environ:
        monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
        monkeypatch.setenv("WANDB_API_KEY", "ak_nobody")
    _fresh_settings()
    with archivist.init() as run:
        assert run.project == "archivist-project" and not isinstance(run, DisabledRun)
        run.log({"x": 1})
    assert archivist.Api().run(f"{run.entity}/archivist-project/{run.id}").summary["x"] == 1


def test_w_and_b_server_names_apply(archivist_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WANDB_BASE_URL and WANDB_API_KEY choose the server when the ARCHIVIST_* names are unset."""
    if "ARCHIVIST_BASE_URL" not in os.environ:
        settings = Settings.from_env({"WANDB_BASE_URL": "http://h:1", "WANDB_API_KEY": "ak_x"})
        assert (settings.base_url, settings.api_key) == ("http://h:1", "ak_x")
        return
    monkeypatch.setenv("WANDB_BASE_URL", os.environ.pop("ARCHIVIST_BASE_URL"))
    monkeypatch.setenv("WANDB_API_KEY", os.environ.pop("ARCHIVIST_API_KEY"))
    _fresh_settings()
    with archivist.init(project="p") as run:
        run.summary["reached"] = True
    assert get_context().settings.base_url == os.environ["WANDB_BASE_URL"]
    assert archivist.Api().run(f"{run.entity}/p/{run.id}").summary["reached"] is True


def test_w_and_b_folders_apply(archivist_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ARCHIVIST_ARTIFACT_DIR")
    monkeypatch.delenv("ARCHIVIST_CACHE_DIR")
    monkeypatch.setenv("WANDB_ARTIFACT_DIR", str(tmp_path / "wandb-artifacts"))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "wandb-cache"))
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wandb-runs"))
    _fresh_settings()
    (tmp_path / "d.txt").write_text("data")
    with archivist.init(project="p") as run:
        assert Path(run.dir).is_relative_to(tmp_path / "wandb-runs" / "wandb")  # W&B's <dir>/wandb/run-*
        assert Path(run.dir).parent.name.startswith("run-")
        art = archivist.Artifact("d", type="dataset")
        art.add_file(str(tmp_path / "d.txt"))
        run.log_artifact(art).wait()
        root = Path(run.use_artifact("d:latest").download())
    assert root.parent == tmp_path / "wandb-artifacts" and (root / "d.txt").read_text() == "data"
    assert get_context().settings.cache_dir == str(tmp_path / "wandb-cache" / "archivist")
    assert (tmp_path / "wandb-cache" / "archivist").is_dir()  # the stat cache (and a server's downloads)


def test_a_bad_mode_from_the_environment_is_named(
    archivist_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_MODE", "sometimes")
    with pytest.raises(
        ValueError, match=r"invalid ARCHIVIST_MODE \(or WANDB_MODE\) 'sometimes': use one of online"
    ):
        archivist.init(project="p")
    assert archivist.run is None


def test_silent_and_switches_are_read_from_w_and_b_names() -> None:
    settings = Settings.from_env({"WANDB_SILENT": "true", "WANDB_MODE": "disabled", "WANDB_TAGS": "a,,b "})
    assert settings.silent is True and settings.mode == "disabled" and settings.run_tags == ("a", "b")
    assert Settings.from_env({"WANDB_SILENT": "true", "ARCHIVIST_SILENT": "0"}).silent is False


def test_disabled_mode_in_process(
    archivist_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WANDB_MODE", "disabled")
    _fresh_settings()
    (tmp_path / "m.pt").write_bytes(b"m")
    with archivist.init(project="p", config={"lr": 0.1}) as run:
        assert isinstance(run, DisabledRun)
        run.log({"loss": 0.5})
        art = archivist.Artifact("m", type="model")
        art.add_file(str(tmp_path / "m.pt"))
        assert run.log_artifact(art) is art
        art.save()
        assert run.log_model(str(tmp_path / "m.pt")) is None and run.link_model("m.pt", "Reg") is None
        assert run.config.lr == 0.1
    assert archivist.Api().artifact_exists("p/m:latest") is False  # nothing reached the store
    with archivist.init(project="p", mode="online") as online:  # an explicit mode wins
        assert not isinstance(online, DisabledRun)


def test_disabled_mode_creates_no_store(tmp_path: Path) -> None:
    """A W&B script run with WANDB_MODE=disabled writes nothing: no store, cache or login."""
    script = textwrap.dedent(
        """
        import archivist as wandb

        with open("model.pt", "wb") as f:
            f.write(b"weights")
        run = wandb.init(project="p", config={"lr": 0.1})
        run.log({"loss": 0.5})
        art = wandb.Artifact("model", type="model")
        art.add_file("model.pt")
        run.log_artifact(art, aliases=["best"])
        wandb.log_model("model.pt", name="m")
        used = run.use_artifact("model:latest")
        run.finish()
        draft = wandb.Artifact("outside", type="dataset")
        draft.add_file("model.pt")
        draft.save()
        print("done", type(run).__name__)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "WANDB_"))}
    env.update(
        WANDB_MODE="disabled",
        ARCHIVIST_DIR=str(tmp_path / "store"),
        ARCHIVIST_CACHE_DIR=str(tmp_path / "cache"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        HOME=str(tmp_path / "home"),
    )
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done DisabledRun"
    for never in ("store", "cache", "config", "home"):
        assert not (tmp_path / never).exists(), never
    assert sorted(p.name for p in work.iterdir()) == ["model.pt"]
