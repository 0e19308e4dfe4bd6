"""wandb/examples ``colabs/wandb-model-registry/W&B_Model_Registry_Quickstart.ipynb``, converted.

Three simulated training runs, each with a random learning rate in its config, five epochs of
metrics and a model file logged as ``demo_model_<run id>``. (The notebook stops before linking
to the registry; the model-registry notebooks that link are ``test_models_quickstart``,
``test_new_model_logging``, ``test_ensembles_registry``, ``test_model_management_guide``,
``test_model_registry_e2e`` and ``test_zoo_registry``.)
"""

from __future__ import annotations

import math
import random

import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

PROJECT = "Model_Registry_Quickstart"
RUN_COUNT = 3


def set_config(rng: random.Random) -> dict:
    return {"learning_rate": 0.01 + 0.1 * rng.random(), "batch_size": 128, "architecture": "CNN"}


def get_model(rng: random.Random) -> str:
    file_name = "demo_model.h5"
    with open(file_name, "w") as model_file:
        model_file.write("Imagine this is a big model file! " + str(rng.random()))
    return file_name


def get_metrics(rng: random.Random, epoch: int) -> dict:
    return {
        "acc": 0.8 + 0.04 * (math.log(1 + epoch + rng.random()) + (0.3 * rng.random())),
        "val_acc": 0.75 + 0.04 * (math.log(1 + epoch + rng.random()) - (0.3 * rng.random())),
        "loss": 0.1 + 0.1 * (4 - math.log(1 + epoch + rng.random()) + (0.3 * rng.random())),
        "val_loss": 0.1 + 0.16 * (5 - math.log(1 + epoch + rng.random()) - (0.3 * rng.random())),
    }


def test_model_registry_quickstart_notebook() -> None:
    rng = random.Random(11)
    logged: dict[str, tuple[dict, str, dict]] = {}
    for _ in range(RUN_COUNT):
        config = set_config(rng)
        run = wandb.init(project=PROJECT, config=config)
        for epoch in range(5):
            last = get_metrics(rng, epoch)
            run.log(last)
        model_artifact_name = "demo_model_" + run.id
        model = wandb.Artifact(model_artifact_name, type="model")
        path = get_model(rng)
        model.add_file(path)
        run.log_artifact(model)
        with open(path) as f:
            logged[run.id] = (config, f.read(), last)
        run.finish()

    api = wandb.Api()
    runs = list(api.runs(PROJECT))
    assert sorted(r.id for r in runs) == sorted(logged)
    for run in runs:
        config, model_text, last = logged[run.id]
        assert run.config["learning_rate"] == config["learning_rate"]
        assert run.summary["val_loss"] == last["val_loss"]
        assert len(list(run.scan_history())) == 5
        (artifact,) = run.logged_artifacts()
        assert artifact.name == f"demo_model_{run.id}:v0"
        assert artifact.type == "model"
        with open(artifact.get_entry("demo_model.h5").download()) as f:
            assert f.read() == model_text
    assert sorted(c.name for c in api.artifact_collections(PROJECT, "model")) == sorted(
        f"demo_model_{i}" for i in logged
    )
