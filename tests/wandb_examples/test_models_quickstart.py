"""wandb/examples ``colabs/wandb-model-registry/models_quickstart.ipynb``, converted.

One run logs a metric, saves a stand-in model file as ``model_<run id>``, logs it and links it
to the model registry collection "My Registered Model" (``model-registry/My Registered Model``).

``model-registry/My Registered Model`` lands in the ``model`` registry, with a notice.
"""

from __future__ import annotations

import random

import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")


def test_models_quickstart_notebook() -> None:
    rng = random.Random(2)
    with wandb.init(project="models_quickstart") as run:
        run.log({"acc": rng.random()})
        with open("my_model.h5", "w") as f:
            f.write("Model: " + str(rng.random()))
        best_model = wandb.Artifact(f"model_{run.id}", type="model")
        best_model.add_file("my_model.h5")
        run.log_artifact(best_model)
        run.link_artifact(best_model, "model-registry/My Registered Model")
        run.finish()
        run_id = run.id

    api = wandb.Api()
    linked = api.artifact("model-registry/My Registered Model:latest")
    assert linked.version == "v0"
    assert [f.name for f in linked.files()] == ["my_model.h5"]
    assert linked.source_name == f"model_{run_id}:v0"
