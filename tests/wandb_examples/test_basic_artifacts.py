"""wandb/examples ``colabs/wandb-artifacts/Basic_Artifacts_with_W&B.ipynb``, converted.

Upload a folder of labelled images as a raw-data artifact (one ``add_file(path, name=label/file)``
per image), split it into train/val/test artifacts, "train" a model from two of them (logging
the untrained and the trained model as artifacts with the config as metadata), then load the
latest model and the test split for inference. Images are a few random bytes per file and the
Keras model is a numpy array.

``colabs/wandb-artifacts/Artifacts_Quickstart_with_W&B.ipynb`` holds the same cells (with the
dataset size as a choice) and is covered here too.
"""

from __future__ import annotations

import os
from random import Random

import numpy as np
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

SRC = "inaturalist_12K/train"
LABELS = ["Aves", "Insecta", "Plantae"]
NUM_IMAGES = 6
PROJECT_NAME = "artifacts_demo"
PREFIX = "inat"
DATA_SPLITS = {"train": 4, "val": 1, "test": 1}
MODEL_NAME = "iv3_trained"


def _make_source_images(rng: Random) -> None:
    for label in LABELS:
        os.makedirs(os.path.join(SRC, label), exist_ok=True)
        for i in range(NUM_IMAGES + 2):
            with open(os.path.join(SRC, label, f"{label.lower()}_{i}.jpg"), "wb") as f:
                f.write(rng.randbytes(64))


def _save_model(folder: str, weights: np.ndarray) -> None:
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "weights.npy"), weights)
    with open(os.path.join(folder, "saved_model.pb"), "w") as f:
        f.write("inception v3 stand-in")


def _train(config_defaults: dict) -> None:
    run = wandb.init(project=PROJECT_NAME, job_type="train", config=config_defaults)
    cfg = wandb.config

    train_at = os.path.join(PROJECT_NAME, PREFIX + "_train_data_40") + ":latest"
    val_at = os.path.join(PROJECT_NAME, PREFIX + "_val_data_10") + ":latest"
    train_data = run.use_artifact(train_at, type="train_data")
    train_dir = train_data.download()
    val_data = run.use_artifact(val_at, type="val_data")
    val_dir = val_data.download()
    n_train = sum(len(files) for _, _, files in os.walk(train_dir))
    n_val = sum(len(files) for _, _, files in os.walk(val_dir))
    assert (n_train, n_val) == (cfg.num_train, cfg.num_val)

    weights = np.zeros((cfg.fc_size, cfg.num_classes), dtype=np.float32)
    model_artifact = wandb.Artifact(
        "iv3", type="model", description="unmodified inception v3", metadata=dict(cfg)
    )
    _save_model("init_model_keras_iv3", weights)
    model_artifact.add_dir("init_model_keras_iv3")
    run.log_artifact(model_artifact)

    for epoch in range(cfg.epochs):  # "model.fit"
        weights += 0.1
        run.log({"epoch": epoch, "loss": 1.0 / (epoch + 1)})

    trained_model_artifact = wandb.Artifact(
        MODEL_NAME, type="model", description="trained inception v3", metadata=dict(cfg)
    )
    _save_model("trained_keras_model_iv3", weights)
    trained_model_artifact.add_dir("trained_keras_model_iv3")
    run.log_artifact(trained_model_artifact)
    wandb.run.finish()


def test_basic_artifacts_notebook() -> None:
    rng = Random(3)
    _make_source_images(rng)

    # Step 1: upload raw data
    raw_data_name = "_".join([PREFIX, "raw_data_10K"])
    run = wandb.init(project=PROJECT_NAME, job_type="upload")
    raw_data_at = wandb.Artifact(raw_data_name, type="raw_data")
    for label in os.listdir(SRC):
        imgs_per_label = os.path.join(SRC, label)
        if os.path.isdir(imgs_per_label):
            imgs = os.listdir(imgs_per_label)
            rng.shuffle(imgs)
            for f in imgs[:NUM_IMAGES]:
                raw_data_at.add_file(os.path.join(SRC, label, f), name=label + "/" + f)
    run.log_artifact(raw_data_at)
    wandb.run.finish()

    # Step 2: split the raw data into train/val/test artifacts
    run = wandb.init(project=PROJECT_NAME, job_type="data_split")
    data_at = run.use_artifact(raw_data_name + ":latest")
    data_dir = data_at.download()
    ats = {}
    for split, count in DATA_SPLITS.items():
        ats[split] = wandb.Artifact(
            "_".join([PREFIX, split, "data", str(count * 10)]), "_".join([split, "data"])
        )
    for label in os.listdir(data_dir):
        if label.startswith("."):
            continue
        imgs_per_label = os.listdir(os.path.join(data_dir, label))
        rng.shuffle(imgs_per_label)
        start_id = 0
        for split, count in DATA_SPLITS.items():
            for img_file in imgs_per_label[start_id : start_id + count]:
                ats[split].add_file(
                    os.path.join(data_dir, label, img_file), name=os.path.join(label, img_file)
                )
            start_id += count
    for artifact in ats.values():
        run.log_artifact(artifact)
    split_run_id = run.id
    run.finish()

    # Step 3: train with artifacts and save the model
    config_defaults = {
        "num_train": 4 * len(LABELS),
        "num_val": 1 * len(LABELS),
        "num_classes": len(LABELS),
        "fc_size": 8,
        "img_width": 299,
        "img_height": 299,
        "batch_size": 32,
        "epochs": 2,
    }
    _train(config_defaults)

    # Step 4: load the model for inference
    run = wandb.init(project=PROJECT_NAME, job_type="inference")
    model_at = run.use_artifact(MODEL_NAME + ":latest")
    model_dir = model_at.download()
    weights = np.load(os.path.join(model_dir, "weights.npy"))
    test_data_at = run.use_artifact("inat_test_data_10:latest")
    test_dir = test_data_at.download()
    images = [
        os.path.join(test_dir, label, img)
        for label in os.listdir(test_dir)
        if not label.startswith(".")
        for img in os.listdir(os.path.join(test_dir, label))
    ]
    wandb.run.finish()

    # What the project's Artifacts tab shows
    assert np.allclose(weights, 0.2)
    assert len(images) == len(LABELS)
    api = wandb.Api()
    raw = api.artifact(f"{PROJECT_NAME}/{raw_data_name}:latest")
    assert raw.type == "raw_data"
    raw_files = sorted(f.name for f in raw.files())
    assert len(raw_files) == NUM_IMAGES * len(LABELS)
    assert {name.split("/")[0] for name in raw_files} == set(LABELS)
    split_files: dict[str, set[str]] = {}
    for split, count in DATA_SPLITS.items():
        at = api.artifact(f"{PROJECT_NAME}/{PREFIX}_{split}_data_{count * 10}:v0")
        assert at.type == f"{split}_data"
        split_files[split] = {f.name for f in at.files()}
        assert len(split_files[split]) == count * len(LABELS)
        assert split_files[split] <= set(raw_files)
    assert not (split_files["train"] & split_files["val"]) and not (split_files["val"] & split_files["test"])
    assert [r.id for r in api.artifact(f"{PROJECT_NAME}/inat_train_data_40:v0").used_by()] != []
    assert api.artifact(f"{PROJECT_NAME}/inat_train_data_40:v0").logged_by().id == split_run_id

    trained = api.artifact(f"{PROJECT_NAME}/{MODEL_NAME}:latest")
    assert trained.description == "trained inception v3"
    assert trained.metadata == config_defaults
    assert sorted(f.name for f in trained.files()) == ["saved_model.pb", "weights.npy"]
    train_run = trained.logged_by()
    assert train_run.job_type == "train"
    assert sorted(a.name.split(":")[0] for a in train_run.used_artifacts()) == [
        "inat_train_data_40",
        "inat_val_data_10",
    ]
    assert sorted(a.name.split(":")[0] for a in train_run.logged_artifacts()) == ["iv3", MODEL_NAME]
    inference_run = api.artifact(f"{PROJECT_NAME}/inat_test_data_10:latest").used_by()[0]
    assert inference_run.job_type == "inference"
