"""``archivist demo``: the real pipeline in a temporary store, twice."""

from __future__ import annotations

import os
import subprocess
import sys

import archivist
from archivist.cli.demo_data import (
    Normalisation,
    fit_linear,
    r_squared,
    read_csv_folder,
    split,
    write_raw_dataset,
)
from tests.conftest import read_tree

RUNS = ("ingest", "preprocess", "train", "evaluate")


def lineage_part(stdout: str) -> str:
    start = stdout.index("Lineage of ")
    return stdout[start : stdout.index("Explore further:")]


def test_demo_runs_the_pipeline_twice_and_deduplicates_the_second_time(run_script, tmp_path):
    first = run_script("demo", "--dir", str(tmp_path / "demo"))
    assert first.returncode == 0, first.stderr
    for artifact in ("dataset demo-raw:v0", "dataset demo-processed:v0", "model demo-model:v0"):
        assert f"logged {artifact}" in first.stdout
    assert "evaluation demo-eval:v0" in first.stdout
    lineage = lineage_part(first.stdout)
    assert lineage.splitlines()[0] == "Lineage of archivist-demo/demo-model:v0:"
    for run in RUNS:
        assert f"run {run} ({run}, finished)" in lineage
    assert "used dataset demo-raw:v0" in lineage and "logged evaluation demo-eval:v0" in lineage
    assert "archivist artifact ls archivist-demo" in first.stdout

    second = run_script("demo", "--dir", str(tmp_path / "demo-again"))
    assert second.returncode == 0, second.stderr
    raw_line = next(line for line in second.stdout.splitlines() if "demo-raw" in line)
    assert "demo-raw:v0" in raw_line and "dedup" in raw_line
    assert "demo-raw:v1" not in second.stdout
    assert read_tree(tmp_path / "demo" / "raw") == read_tree(tmp_path / "demo-again" / "raw")
    for run in RUNS:
        assert f"run {run} ({run}, finished)" in lineage_part(second.stdout)

    model = archivist.Api().artifact("archivist-demo/demo-model:production")
    assert model.version == "v0"
    assert {"candidate", "latest", "production"} <= set(model.aliases)
    assert abs(model.metadata["weights"][0]) > 1  # a real fit, not zeros


def test_demo_without_dir_cleans_up_its_working_files(run_script, tmp_path):
    result = run_script("demo")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("Working files in "))
    workdir = line.removeprefix("Working files in ")
    assert "archivist-demo-" in workdir and not os.path.exists(workdir)
    assert not (tmp_path / "work" / "artifacts").exists()


def test_the_synthetic_data_is_deterministic_and_learnable(tmp_path):
    assert write_raw_dataset(str(tmp_path / "a")) == write_raw_dataset(str(tmp_path / "b"))
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")

    rows = read_csv_folder(str(tmp_path / "a"))
    train, test = split(Normalisation.of(rows).apply(rows))
    assert len(test) * 4 == len(train)
    losses: list[float] = []
    model = fit_linear(train, on_epoch=lambda _epoch, loss: losses.append(loss))
    assert losses[-1] < losses[0] / 100
    assert r_squared(model, test) > 0.95


def explore_lines(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.split("Explore further:", 1)[1].splitlines() if line.strip()]


def test_the_commands_to_explore_further_work_as_printed_without_an_activated_venv(script_env, tmp_path):
    """The README's first command runs ``.venv/bin/archivist demo`` without activating the venv:
    the printed commands must not rely on ``archivist`` or ``python`` being on the PATH."""
    bare_path = os.pathsep.join(
        folder
        for folder in ("/usr/local/bin", "/usr/bin", "/bin")
        if folder != os.path.dirname(sys.executable)
    )
    env = {**script_env, "PATH": bare_path}
    demo = subprocess.run(
        [sys.executable, "-m", "archivist", "demo"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert demo.returncode == 0, demo.stderr
    commands = explore_lines(demo.stdout)
    assert len(commands) == 4
    assert all(not command.startswith(("archivist ", "python ")) for command in commands), commands
    outputs = []
    for command in commands:
        done = subprocess.run(
            ["/bin/sh", "-c", command], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, (command, done.stderr)
        outputs.append(done.stdout)
    assert "demo-model" in outputs[0]  # artifact ls
    assert "demo-processed" in outputs[1]  # lineage downstream of the raw data
    assert (tmp_path / "demo-model").is_dir()  # artifact get --root ./demo-model
    assert "weights" in outputs[3]  # the model's metadata, read in Python


def test_explore_commands_use_bare_names_when_the_path_finds_this_installation(tmp_path):
    from archivist.cli.demo import explore_commands

    bin_dir = os.path.dirname(sys.executable)
    commands = explore_commands("archivist-demo/demo-model:candidate", search_path=bin_dir)
    assert commands[0] == "archivist artifact ls archivist-demo"
    assert commands[3].startswith(os.path.basename(sys.executable) + " -c ")
    elsewhere = explore_commands("archivist-demo/demo-model:candidate", search_path=str(tmp_path))
    assert elsewhere[0].split()[0] in (
        os.path.join(bin_dir, "archivist"),
        os.path.relpath(os.path.join(bin_dir, "archivist")),
    )
