"""wandb/examples ``colabs/wandb-model-registry/New_Model_Logging_in_W&B.ipynb``, converted.

``wandb.log_model`` after each of five epochs (aliases ``best`` and ``epoch_<n>`` when the
validation accuracy improves, else ``epoch_<n>`` only), then ``wandb.use_model`` of the
``best`` checkpoint and ``wandb.link_model`` of its path to the registered model "Industrial
ViT" with the alias ``staging``. The ViT is a numpy array and training a few updates.

``use_model`` right after ``log_model`` waits for the run's log of that name; ``link_model``
links to ``wandb-registry-model/Industrial ViT``, read back through ``model-registry/...``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")


def test_new_model_logging_notebook() -> None:
    run = wandb.init(project="new_model_logging", job_type="training")
    weights = np.zeros((8, 10), dtype=np.float32)
    best_accuracy = 0.0
    accuracies = [0.5, 0.6, 0.55, 0.7, 0.65]
    for epoch in range(5):
        weights += 1.0
        wandb.log({"train/loss": 1.0 / (epoch + 1)})
        val_accuracy = accuracies[epoch]
        model_path = "model_vit.pth"
        with open(model_path, "wb") as f:
            np.save(f, weights)
        if val_accuracy > best_accuracy:
            best_accuracy = val_accuracy
            wandb.log_model(
                name=f"model_vit-{wandb.run.id}", path=model_path, aliases=["best", f"epoch_{epoch}"]
            )
        else:
            wandb.log_model(name=f"model_vit-{wandb.run.id}", path=model_path, aliases=[f"epoch_{epoch}"])

    artifact_name = f"model_vit-{wandb.run.id}:best"
    best_model_path = wandb.use_model(artifact_name)
    wandb.link_model(path=best_model_path, registered_model_name="Industrial ViT", aliases=["staging"])
    run_id = run.id
    run.finish()

    api = wandb.Api()
    best = api.artifact(f"new_model_logging/model_vit-{run_id}:best")
    assert sorted(best.aliases) == ["best", "epoch_3"]
    with open(os.path.join(best.download(), "model_vit.pth"), "rb") as f:
        assert float(np.load(f)[0, 0]) == 4.0
    staged = api.artifact("model-registry/Industrial ViT:staging")
    with open(os.path.join(staged.download(), "model_vit.pth"), "rb") as f:
        assert float(np.load(f)[0, 0]) == 4.0
