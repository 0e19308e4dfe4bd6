"""wandb/examples ``colabs/wandb-artifacts/Model_Management_Guide.ipynb``, converted.

A training run declares its dataset (``wandb.use_artifact`` of an artifact it has not logged),
logs a model artifact ``mnist-<run id>`` after each epoch (aliases ``best``/``latest`` when the
validation loss improves) and links the best one to the model collection "MNIST Grayscale
28x28"; an evaluation run uses the collection's ``latest``, fetches ``model.pt`` with
``get_path(...).download()``, logs a table of predictions built with ``add_column`` and links
the model again with ``production``. MNIST is random 28x28 arrays and the network a numpy matrix.

A bare link target (``run.link_artifact(art, "<name>")``, W&B's old model registry) lands in
the ``model`` registry (issue 18); the notebook reads the link back from the run's project
(``use_artifact("<name>:<alias>")``, ``<entity>/<project>/<name>``), where W&B's SDK puts it:
such a path finds it there, with a one-line notice.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

project_name = "model-registry"
dataset_name = "mnist"
model_collection_name = "MNIST Grayscale 28x28"


def build_data(path: str, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x, y = rng.random((size, 28, 28), dtype=np.float32), rng.integers(0, 10, size)
    os.makedirs(path, exist_ok=True)
    np.savez(os.path.join(path, "mnist.npz"), x=x, y=y)
    return x, y


def evaluate_model(model: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, float, list[int]]:
    scores = x.reshape(len(x), -1) @ model
    preds = np.argmax(scores, axis=1)
    loss = float(np.mean((scores - np.eye(10)[y]) ** 2))
    return loss, 100.0 * float(np.mean(preds == y)), preds.tolist()


def test_model_management_guide_notebook() -> None:
    # Train, log & link models
    wandb.init(
        project=project_name,
        job_type="model_trainer",
        config={
            "train_size": 100,
            "val_size": 30,
            "batch_size": 64,
            "learning_rate": 1.0,
            "gamma": 0.75,
            "epochs": 5,
        },
    )
    train_data_path = "./train_data"
    x, y = build_data(train_data_path, wandb.config["train_size"] + wandb.config["val_size"], seed=1)
    x_val, y_val = x[-30:], y[-30:]
    art = wandb.Artifact(f"{dataset_name}-train", "dataset")
    art.add_dir(train_data_path)
    wandb.use_artifact(art)

    model = np.zeros((28 * 28, 10), dtype=np.float32)
    best_loss, best_model = float("inf"), None
    val_losses = []
    for epoch_ndx in range(wandb.config["epochs"]):
        model += 0.001 * x[:100].reshape(100, -1).T @ (np.eye(10)[y[:100]] - x[:100].reshape(100, -1) @ model)
        val_loss, val_acc, _ = evaluate_model(model, x_val, y_val)
        val_losses.append(val_loss)
        is_best = val_loss < best_loss
        if is_best:
            best_loss = val_loss
        art = wandb.Artifact(f"mnist-{wandb.run.id}", "model")
        np.save("model.npy", model)
        os.replace("model.npy", "model.pt")
        art.add_file("model.pt")
        wandb.log_artifact(art, aliases=["best", "latest"] if is_best else None)
        if is_best:
            best_model = art
        wandb.log({"epoch_ndx": epoch_ndx, "val_loss": val_loss, "val_acc": val_acc, "best_loss": best_loss})
    trainer_id = wandb.run.id
    wandb.run.link_artifact(best_model, model_collection_name, ["latest"])
    wandb.finish()

    # Use, evaluate and promote a model
    wandb.init(project=project_name, job_type="model_evaluator", config={"test_size": 20})
    test_data_path = "./test_data"
    x_test, y_test = build_data(test_data_path, wandb.config["test_size"], seed=2)
    art = wandb.Artifact(f"{dataset_name}-test", "dataset")
    art.add_dir(test_data_path)
    wandb.use_artifact(art)
    model_art = wandb.use_artifact(f"{model_collection_name}:latest")
    assert model_art.is_link and model_art.source_name == f"mnist-{trainer_id}:{best_model.version}"
    model_path = model_art.get_path("model.pt").download()
    model_obj = np.load(model_path)
    test_loss, test_acc, preds = evaluate_model(model_obj, x_test, y_test)
    table = wandb.Table(data=[], columns=[])
    table.add_column("image", [wandb.Image(i) for i in x_test])
    table.add_column("label", y_test.tolist())
    table.add_column("pred", preds)
    wandb.log({"test_loss": test_loss, "test_acc": test_acc, "predictions": table})
    wandb.run.link_artifact(model_art, model_collection_name, ["latest", "production"])
    evaluator_id = wandb.run.id
    wandb.finish()

    api = wandb.Api()
    best_epoch = int(np.argmin(val_losses))
    best = api.artifact(f"{project_name}/mnist-{trainer_id}:best")
    assert best.version == f"v{best_epoch}"
    assert np.array_equal(np.load(model_path), np.load(best.get_path("model.pt").download()))
    linked = api.artifact(f"{project_name}/{model_collection_name}:production")
    assert "latest" in linked.aliases
    assert api.artifact(f"{project_name}/{dataset_name}-train:latest").used_by()[0].id == trainer_id
    evaluator = api.run(f"{project_name}/{evaluator_id}")
    assert evaluator.summary["predictions"]["nrows"] == 20
    (table_art,) = [a for a in evaluator.logged_artifacts() if a.type == "run_table"]
    assert table_art.get("predictions").get_column("pred") == preds
