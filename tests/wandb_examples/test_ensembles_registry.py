"""wandb/examples ``colabs/wandb-model-registry/Ensembles_in_the_W&B_Model_Registry.ipynb``, converted
in part: its first steps (the later cells sit between large inline images and were not read).

Helpers write a JSON object into an artifact with ``new_file`` and read it back with
``use_artifact(...).get_path(file).download()``; run 1 logs ``example_data``; run 2 trains M1 for
three epochs (an artifact ``m1-<run id>`` per epoch) and links the last one to the registered
model ``ensemble_m1`` with ``latest``.

The bare target ``ensemble_m1`` lands in the ``model`` registry (W&B's old model registry),
with a notice.
"""

from __future__ import annotations

import json
import random

import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

PROJECT = "ensemble_example_dev_3"
rng = random.Random(9)


def _dummy_return() -> dict:
    return {"val": rng.random()}


def make_artifact(obj, name, typename, file, run, log=True):
    art = wandb.Artifact(name, typename)
    with art.new_file(file) as f:
        f.write(json.dumps(obj))
    if log:
        run.log_artifact(art)
    return art


def load_obj_from_artifact(run, name, file):
    art = run.use_artifact(name)
    ref = art.get_path(file)
    with open(ref.download()) as f:
        obj = json.load(f)
    return obj, ref


def test_ensembles_registry_notebook() -> None:
    with wandb.init(project=PROJECT, job_type="generate_data") as run:
        data = _dummy_return()
        make_artifact(data, "example_data", "dataset", "data.json", run)

    models = []
    with wandb.init(project=PROJECT, job_type="train_m1") as run:
        loaded, _ = load_obj_from_artifact(run, "example_data:latest", "data.json")
        assert loaded == data
        for _ in range(3):
            m1 = _dummy_return()
            models.append(m1)
            art = make_artifact(m1, f"m1-{run.id}", "model", "model.json", run)
        run.link_artifact(art, "ensemble_m1", ["latest"])
        m1_run = run.id

    api = wandb.Api()
    assert [a.version for a in api.artifacts("model", f"{PROJECT}/m1-{m1_run}")] == ["v2", "v1", "v0"]
    # a bare target is W&B's old model registry: the link is in the model registry
    linked = api.artifact("wandb-registry-model/ensemble_m1:latest")
    assert linked.is_link and linked.source_name == f"m1-{m1_run}:v2"
    with open(linked.get_path("model.json").download()) as f:
        assert json.load(f) == models[-1]
