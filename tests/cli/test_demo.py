"""``archivist demo``: the real pipeline in a temporary store, twice."""

from __future__ import annotations

import os

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
