"""wandb/examples ``colabs/wandb-artifacts/Pipeline_Versioning_with_W&B_Artifacts.ipynb``, converted.

A four-step pipeline: load raw MNIST into ``mnist-raw`` (``new_file(..., mode="wb")`` +
``np.savez``), preprocess it into ``mnist-preprocess`` (the steps as metadata), build and log
an untrained ``convnet`` (the config, tuples included, as metadata; ``wandb.save`` of the model
file), train it into ``trained-model`` and evaluate it (summary and a list of ``wandb.Image``
of the hardest examples). MNIST is replaced by small random arrays and Keras by numpy.
"""

from __future__ import annotations

import os
from collections import namedtuple

import numpy as np
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

PROJECT = "artifacts-example"
Dataset = namedtuple("Dataset", ["x", "y"])
NUM_CLASSES = 10


def load(rng: np.random.Generator, train_size: int = 40) -> list[Dataset]:
    x = rng.integers(0, 255, (60, 28, 28), dtype=np.uint8)
    y = rng.integers(0, NUM_CLASSES, 60)
    x_test, y_test = rng.integers(0, 255, (20, 28, 28), dtype=np.uint8), rng.integers(0, NUM_CLASSES, 20)
    return [
        Dataset(x[:train_size], y[:train_size]),
        Dataset(x[train_size:], y[train_size:]),
        Dataset(x_test, y_test),
    ]


def load_and_log(rng: np.random.Generator) -> None:
    with wandb.init(project=PROJECT, job_type="load-data") as run:
        datasets = load(rng)
        names = ["training", "validation", "test"]
        raw_data = wandb.Artifact(
            "mnist-raw",
            type="dataset",
            description="Raw MNIST dataset, split into train/val/test",
            metadata={"source": "keras.datasets.mnist", "sizes": [len(dataset.x) for dataset in datasets]},
        )
        for name, data in zip(names, datasets, strict=True):
            with raw_data.new_file(name + ".npz", mode="wb") as file:
                np.savez(file, x=data.x, y=data.y)
        run.log_artifact(raw_data)


def preprocess(dataset: Dataset, normalize=True, expand_dims=True, to_categorical=True) -> Dataset:
    x, y = dataset.x, dataset.y
    if normalize:
        x = x.astype("float32") / 255
    if expand_dims:
        x = np.expand_dims(x, -1)
    if to_categorical:
        y = np.eye(NUM_CLASSES, dtype="float32")[y]
    return Dataset(x, y)


def read(data_dir: str, split: str) -> Dataset:
    data = np.load(os.path.join(data_dir, split + ".npz"))
    return Dataset(x=data["x"], y=data["y"])


def preprocess_and_log(steps: dict) -> None:
    with wandb.init(project=PROJECT, job_type="preprocess-data") as run:
        processed_data = wandb.Artifact(
            "mnist-preprocess", type="dataset", description="Preprocessed MNIST dataset", metadata=steps
        )
        raw_data_artifact = run.use_artifact("mnist-raw:latest")
        raw_dataset = raw_data_artifact.download()
        for split in ["training", "validation", "test"]:
            processed_dataset = preprocess(read(raw_dataset, split), **steps)
            with processed_data.new_file(split + ".npz", mode="wb") as file:
                np.savez(file, x=processed_dataset.x, y=processed_dataset.y)
        run.log_artifact(processed_data)


def build_model(hidden_layer_sizes=(32, 64), kernel_sizes=((3, 3),), activation="relu", pool_sizes=((2, 2),),
                dropout=0.5, num_classes=10, input_shape=(28, 28, 1)) -> np.ndarray:  # fmt: skip
    inputs = int(np.prod(input_shape))
    return np.zeros((inputs, num_classes), dtype=np.float32)  # a linear "convnet"


def build_model_and_log(config: dict) -> None:
    with wandb.init(project=PROJECT, job_type="initialize", config=config) as run:
        config = wandb.config
        model = build_model(**config)
        model_artifact = wandb.Artifact(
            "convnet", type="model", description="Simple AlexNet style CNN", metadata=dict(config)
        )
        np.save("initialized_model.keras", model, allow_pickle=False)
        os.replace("initialized_model.keras.npy", "initialized_model.keras")
        model_artifact.add_file("initialized_model.keras")
        wandb.save("initialized_model.keras")
        run.log_artifact(model_artifact)


def train(model: np.ndarray, training: Dataset, validation: Dataset, config) -> np.ndarray:
    x = training.x.reshape(len(training.x), -1)
    for epoch in range(config.epochs):
        model = model + 0.01 * x.T @ (training.y - x @ model) / len(x)
        val_x = validation.x.reshape(len(validation.x), -1)
        accuracy = float(np.mean(np.argmax(val_x @ model, axis=1) == np.argmax(validation.y, axis=1)))
        wandb.log({"epoch": epoch, "val_accuracy": accuracy})
    return model


def train_and_log(config: dict) -> np.ndarray:
    with wandb.init(project=PROJECT, job_type="train", config=config) as run:
        config = wandb.config
        data = run.use_artifact("mnist-preprocess:latest")
        data_dir = data.download()
        training_dataset = read(data_dir, "training")
        validation_dataset = read(data_dir, "validation")

        model_artifact = run.use_artifact("convnet:latest")
        model_dir = model_artifact.download()
        model = np.load(os.path.join(model_dir, "initialized_model.keras"))
        model_config = model_artifact.metadata
        config.update(model_config)

        model = train(model, training_dataset, validation_dataset, config)

        model_artifact = wandb.Artifact(
            "trained-model",
            type="model",
            description="NN model trained with model.fit",
            metadata=dict(config),
        )
        with open("trained_model.keras", "wb") as f:
            np.save(f, model)
        model_artifact.add_file("trained_model.keras")
        wandb.save("trained_model.keras")
        run.log_artifact(model_artifact)
    return model


def evaluate_and_log(config=None) -> str:
    with wandb.init(project=PROJECT, job_type="report", config=config) as run:
        data = run.use_artifact("mnist-preprocess:latest")
        test_dataset = read(data.download(), "test")
        model_artifact = run.use_artifact("trained-model:latest")
        model = np.load(os.path.join(model_artifact.download(), "trained_model.keras"))

        x = test_dataset.x.reshape(len(test_dataset.x), -1)
        scores = x @ model
        predictions = np.argmax(scores, axis=1)
        true_labels = np.argmax(test_dataset.y, axis=1)
        losses = -np.sum(
            test_dataset.y * np.log(np.clip(np.exp(scores) / np.exp(scores).sum(1, keepdims=True), 1e-9, 1)),
            axis=1,
        )
        hardest = np.argsort(losses)[-4:]
        run.summary.update(
            {"loss": float(losses.mean()), "accuracy": float(np.mean(predictions == true_labels))}
        )
        wandb.log(
            {
                "high-loss-examples": [
                    wandb.Image(test_dataset.x[i], caption=str(predictions[i]) + "," + str(true_labels[i]))
                    for i in hardest
                ]
            }
        )
        return run.id


def test_pipeline_versioning_notebook() -> None:
    rng = np.random.default_rng(0)
    load_and_log(rng)
    steps = {"normalize": True, "expand_dims": True, "to_categorical": True}
    preprocess_and_log(steps)
    model_config = {
        "hidden_layer_sizes": [32, 64],
        "kernel_sizes": [(3, 3)],
        "activation": "relu",
        "pool_sizes": [(2, 2)],
        "dropout": 0.5,
        "num_classes": 10,
        "input_shape": (28, 28, 1),
    }
    build_model_and_log(model_config)
    train_config = {
        "batch_size": 128,
        "epochs": 3,
        "optimizer": "adam",
        "callback_config": {"log_weights": True, "save_model": False, "log_batch_frequency": 10},
    }
    trained = train_and_log(train_config)
    report_run_id = evaluate_and_log()

    api = wandb.Api()
    raw = api.artifact(f"{PROJECT}/mnist-raw:latest")
    assert raw.metadata == {"source": "keras.datasets.mnist", "sizes": [40, 20, 20]}
    assert sorted(f.name for f in raw.files()) == ["test.npz", "training.npz", "validation.npz"]
    pre = api.artifact(f"{PROJECT}/mnist-preprocess:latest")
    assert pre.metadata == steps
    x = np.load(os.path.join(pre.download(), "training.npz"))["x"]
    assert x.shape == (40, 28, 28, 1) and x.dtype == np.float32 and float(x.max()) <= 1.0

    convnet = api.artifact(f"{PROJECT}/convnet:latest")
    # tuples come back as lists, as from W&B's JSON metadata
    assert convnet.metadata["input_shape"] == [28, 28, 1]
    assert convnet.metadata["kernel_sizes"] == [[3, 3]]
    trained_model = api.artifact(f"{PROJECT}/trained-model:latest")
    assert trained_model.metadata["optimizer"] == "adam"
    assert trained_model.metadata["activation"] == "relu"  # the model's config joined the run's
    assert trained_model.metadata["callback_config"]["log_batch_frequency"] == 10
    with open(os.path.join(trained_model.download(), "trained_model.keras"), "rb") as f:
        assert np.array_equal(np.load(f), trained)

    # The graph view: raw -> preprocess -> (convnet, preprocess) -> train -> report
    assert pre.logged_by().job_type == "preprocess-data"
    assert [a.name.split(":")[0] for a in pre.logged_by().used_artifacts()] == ["mnist-raw"]
    train_run = trained_model.logged_by()
    assert train_run.job_type == "train"
    assert sorted(a.name.split(":")[0] for a in train_run.used_artifacts()) == ["convnet", "mnist-preprocess"]
    assert train_run.config["optimizer"] == "adam" and train_run.config["dropout"] == 0.5
    assert "trained_model.keras" in [f.name for f in train_run.files()]
    report = api.run(f"{PROJECT}/{report_run_id}")
    assert sorted(a.name.split(":")[0] for a in report.used_artifacts()) == [
        "mnist-preprocess",
        "trained-model",
    ]
    assert set(report.summary.keys()) >= {"loss", "accuracy", "high-loss-examples"}
    assert report.summary["high-loss-examples"]["count"] == 4
    media = [f.name for f in report.files() if f.name.startswith("media/images/")]
    assert len(media) == 4
