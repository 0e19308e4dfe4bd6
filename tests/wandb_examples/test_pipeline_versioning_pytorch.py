"""wandb/examples ``colabs/wandb-artifacts/Pipeline_Versioning_with_W&B_Artifacts_(PyTorch).ipynb``,
converted.

The PyTorch take on the artifacts pipeline: ``mnist-raw`` and ``mnist-preprocess`` hold
``(x, y)`` pairs written with ``torch.save`` into ``new_file(..., mode="wb")`` (here
``pickle.dump`` of numpy arrays), ``convnet`` is built from the run's config, training logs
with an explicit ``step`` (the number of examples seen), the trained model's metadata is the
model config read back from ``convnet``, and the report run logs the hardest test examples as
captioned images. MNIST is small random arrays; the ConvNet a numpy matrix.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

PROJECT = "artifacts-example"
NUM_CLASSES = 10


def load(rng: np.random.Generator, train_size: int = 48) -> list[tuple[np.ndarray, np.ndarray]]:
    x, y = rng.integers(0, 255, (64, 28, 28), dtype=np.uint8), rng.integers(0, NUM_CLASSES, 64)
    x_test, y_test = rng.integers(0, 255, (16, 28, 28), dtype=np.uint8), rng.integers(0, NUM_CLASSES, 16)
    return [(x[:train_size], y[:train_size]), (x[train_size:], y[train_size:]), (x_test, y_test)]


def read(data_dir: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    with open(os.path.join(data_dir, split + ".pt"), "rb") as f:
        return pickle.load(f)


def preprocess(dataset, normalize=True, expand_dims=True):
    x, y = dataset
    if normalize:
        x = x.astype(np.float32) / 255
    if expand_dims:
        x = np.expand_dims(x, 1)
    return x, y


class ConvNet:
    def __init__(self, hidden_layer_sizes=(32, 64), kernel_sizes=(3,), activation="ReLU", pool_sizes=(2,),
                 dropout=0.5, num_classes=NUM_CLASSES, input_shape=(1, 28, 28)):  # fmt: skip
        self.weights = np.zeros((int(np.prod(input_shape)), num_classes), dtype=np.float32)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x), -1) @ self.weights


def test_pipeline_versioning_pytorch_notebook() -> None:
    rng = np.random.default_rng(1)
    with wandb.init(project=PROJECT, job_type="load-data") as run:
        datasets = load(rng)
        raw_data = wandb.Artifact(
            "mnist-raw",
            type="dataset",
            description="Raw MNIST dataset, split into train/val/test",
            metadata={"source": "torchvision.datasets.MNIST", "sizes": [len(d[0]) for d in datasets]},
        )
        for name, data in zip(["training", "validation", "test"], datasets, strict=True):
            with raw_data.new_file(name + ".pt", mode="wb") as file:
                pickle.dump(data, file)
        run.log_artifact(raw_data)

    steps = {"normalize": True, "expand_dims": True}
    with wandb.init(project=PROJECT, job_type="preprocess-data") as run:
        processed_data = wandb.Artifact(
            "mnist-preprocess", type="dataset", description="Preprocessed MNIST dataset", metadata=steps
        )
        raw_dataset = run.use_artifact("mnist-raw:latest").download()
        for split in ["training", "validation", "test"]:
            with processed_data.new_file(split + ".pt", mode="wb") as file:
                pickle.dump(preprocess(read(raw_dataset, split), **steps), file)
        run.log_artifact(processed_data)

    model_config = {"hidden_layer_sizes": [32, 64], "kernel_sizes": [3], "activation": "ReLU",
                    "pool_sizes": [2], "dropout": 0.5, "num_classes": 10}  # fmt: skip
    with wandb.init(project=PROJECT, job_type="initialize", config=model_config) as run:
        config = wandb.config
        model = ConvNet(**config)
        model_artifact = wandb.Artifact(
            "convnet", type="model", description="Simple AlexNet style CNN", metadata=dict(config)
        )
        with open("initialized_model.pth", "wb") as f:
            pickle.dump(model.weights, f)
        model_artifact.add_file("initialized_model.pth")
        wandb.save("initialized_model.pth")
        run.log_artifact(model_artifact)

    train_config = {"batch_size": 16, "epochs": 3, "batch_log_interval": 1, "optimizer": "Adam"}
    with wandb.init(project=PROJECT, job_type="train", config=train_config) as run:
        config = wandb.config
        data_dir = run.use_artifact("mnist-preprocess:latest").download()
        x_train, y_train = read(data_dir, "training")
        x_val, y_val = read(data_dir, "validation")
        model_artifact = run.use_artifact("convnet:latest")
        model_path = os.path.join(model_artifact.download(), "initialized_model.pth")
        model_config_read = model_artifact.metadata
        config.update(model_config_read)
        model = ConvNet(**model_config_read)
        with open(model_path, "rb") as f:
            model.weights = pickle.load(f)
        example_ct = 0
        for epoch in range(config.epochs):
            for batch_idx in range(0, len(x_train), config.batch_size):
                end = batch_idx + config.batch_size
                data, target = x_train[batch_idx:end], y_train[batch_idx:end]
                flat = data.reshape(len(data), -1)
                model.weights += 0.01 * flat.T @ (np.eye(NUM_CLASSES)[target] - model(data)) / len(data)
                example_ct += len(data)
                loss = float(np.mean((model(data) - np.eye(NUM_CLASSES)[target]) ** 2))
                wandb.log({"epoch": epoch, "train/loss": loss}, step=example_ct)
            accuracy = 100.0 * float(np.mean(model(x_val).argmax(axis=1) == y_val))
            wandb.log(
                {"epoch": epoch, "validation/loss": loss, "validation/accuracy": accuracy}, step=example_ct
            )
        trained = wandb.Artifact(
            "trained-model", type="model", description="Trained NN model", metadata=dict(model_config_read)
        )
        with open("trained_model.pth", "wb") as f:
            pickle.dump(model.weights, f)
        trained.add_file("trained_model.pth")
        wandb.save("trained_model.pth")
        run.log_artifact(trained)
        train_id = run.id

    with wandb.init(project=PROJECT, job_type="report") as run:
        x_test, y_test = read(run.use_artifact("mnist-preprocess:latest").download(), "test")
        model_artifact = run.use_artifact("trained-model:latest")
        model = ConvNet(**model_artifact.metadata)
        with open(os.path.join(model_artifact.download(), "trained_model.pth"), "rb") as f:
            model.weights = pickle.load(f)
        scores = model(x_test)
        preds = scores.argmax(axis=1)
        losses = np.mean((scores - np.eye(NUM_CLASSES)[y_test]) ** 2, axis=1)
        hardest = np.argsort(losses)[-5:]
        run.summary.update(
            {"loss": float(losses.mean()), "accuracy": 100.0 * float(np.mean(preds == y_test))}
        )
        wandb.log(
            {
                "high-loss-examples": [
                    wandb.Image(x_test[i][0], caption=str(int(preds[i])) + "," + str(int(y_test[i])))
                    for i in hardest
                ]
            }
        )
        report_id = run.id

    api = wandb.Api()
    train_run = api.run(f"{PROJECT}/{train_id}")
    rows = list(train_run.scan_history())
    steps_seen = sorted({r["_step"] for r in rows})
    assert steps_seen == [48 * (e + 1) - 48 + s for e in range(3) for s in (16, 32, 48)]
    assert train_run.summary["validation/accuracy"] == accuracy
    assert train_run.config["activation"] == "ReLU" and train_run.config["optimizer"] == "Adam"
    trained_art = api.artifact(f"{PROJECT}/trained-model:latest")
    assert trained_art.metadata == model_config
    assert sorted(a.name.split(":")[0] for a in trained_art.logged_by().used_artifacts()) == [
        "convnet",
        "mnist-preprocess",
    ]
    saved = {f.name for f in train_run.files()}
    assert "trained_model.pth" in saved and "initialized_model.pth" not in saved  # each run its own
    report = api.run(f"{PROJECT}/{report_id}")
    assert report.summary["high-loss-examples"]["count"] == 5
    assert report.summary["high-loss-examples"]["captions"] == [f"{preds[i]},{y_test[i]}" for i in hardest]
    raw_train = read(api.artifact(f"{PROJECT}/mnist-raw:latest").download(), "training")
    assert raw_train[0].shape == (48, 28, 28)
