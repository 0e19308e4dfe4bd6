"""wandb/examples ``colabs/wandb-artifacts/Artifact_fundamentals.ipynb``, converted.

Log a CSV as an artifact in one call, then with ``Artifact``/``add_file``/``add_dir``; use it
and download it; subsample the CSV with pandas and log it again under an alias; edit the
version's description and metadata inside a run; use it in a pipeline step.

``colabs/wandb-artifacts/Artifact_Basics.ipynb`` holds the same cells and is covered here too.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

PROJECT = "artifact-basics"


def _dummy_rows(rng: np.random.Generator, num_samples: int):
    columns = [
        rng.normal(50, 10, num_samples),
        rng.integers(1, 100, num_samples),
        rng.choice(["A", "B", "C", "D"], num_samples),
        rng.uniform(0.0, 1.0, num_samples),
    ]
    return zip(*columns, strict=True)


def _write_csv(path: str, rows) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["feature1", "feature2", "feature3", "feature4"])
        writer.writerows(rows)


def test_artifact_fundamentals_notebook() -> None:
    rng = np.random.default_rng(7)
    directory = "dataset"
    os.makedirs(directory, exist_ok=True)
    file1, file2 = os.path.join(directory, "file1.csv"), os.path.join(directory, "file2.csv")
    _write_csv(file1, _dummy_rows(rng, 100))
    _write_csv(file2, _dummy_rows(rng, 100))

    # Create an artifact: the one-line way ...
    run = wandb.init(project=PROJECT)
    run.log_artifact(artifact_or_path=f"{directory}/file1.csv", name="my_first_artifact", type="dataset")
    run.finish()

    # ... and the explicit way (the same file added twice, by add_file and by add_dir)
    run = wandb.init(project=PROJECT)
    artifact = wandb.Artifact("my_first_artifact", type="dataset")
    artifact.add_file(local_path=f"{directory}/file1.csv")
    artifact.add_file(local_path=f"{directory}/file2.csv")
    artifact.add_dir(local_path=f"{directory}")
    run.log_artifact(artifact)
    wandb.finish()

    # Use an artifact
    run = wandb.init(project=PROJECT)
    artifact = run.use_artifact(artifact_or_name="my_first_artifact:latest")
    path = artifact.download()
    run.finish()
    assert artifact.version == "v1"
    assert sorted(os.listdir(path)) == ["file1.csv", "file2.csv"]
    assert Path(path, "file2.csv").read_bytes() == Path(file2).read_bytes()

    # Create a new artifact version: subsample with pandas, log the file again with an alias
    original = pandas.read_csv(f"{directory}/file1.csv")
    df_subsampled = original.sample(frac=0.5, random_state=1)
    df_subsampled.to_csv(f"{directory}/file1.csv", index=False)
    run = wandb.init(project=PROJECT)
    run.log_artifact(
        artifact_or_path=f"{directory}/file1.csv",
        name="my_first_artifact",
        type="dataset",
        aliases=["subsampled"],
    )
    run.finish()

    # Update the version's description and metadata inside a run
    run = wandb.init(project=PROJECT)
    artifact = run.use_artifact(artifact_or_name="my_first_artifact:subsampled")
    artifact.description = "This is an edited description."
    artifact.metadata = {"source": "local disk", "internal data owner": "platform team"}
    artifact.save()
    run.finish()

    # Use the artifact within a pipeline
    run = wandb.init(project=PROJECT)
    artifact = run.use_artifact(artifact_or_name="my_first_artifact:latest")
    pipeline_run_id = run.id
    run.finish()

    # What the Artifacts tab shows
    api = wandb.Api()
    versions = list(api.artifacts("dataset", f"{PROJECT}/my_first_artifact"))
    assert sorted(v.version for v in versions) == ["v0", "v1", "v2"]
    v0 = api.artifact(f"{PROJECT}/my_first_artifact:v0")
    assert [f.name for f in v0.files()] == ["file1.csv"]
    latest = api.artifact(f"{PROJECT}/my_first_artifact:latest")
    assert latest.version == "v2"
    assert sorted(latest.aliases) == ["latest", "subsampled"]
    assert latest.description == "This is an edited description."
    assert latest.metadata == {"source": "local disk", "internal data owner": "platform team"}
    assert [f.name for f in latest.files()] == ["file1.csv"]
    reread = pandas.read_csv(os.path.join(latest.download(), "file1.csv"))
    assert len(reread) == 50
    assert reread.equals(df_subsampled.reset_index(drop=True))
    # Lineage: the subsampled version was made by one run and used by two (edit, pipeline)
    assert latest.logged_by() is not None
    assert pipeline_run_id in {r.id for r in latest.used_by()}
    assert len(latest.used_by()) == 2
