"""wandb/examples ``colabs/wandb-model-registry/Model_Registry_E2E.ipynb``, converted.

Upload a folder of labelled images as ``GCS_raw_data_100``, split it into one
``GCS_80-10-10_100`` artifact with ``train/``, ``val/`` and ``test/`` folders, train with a
callback that logs a predictions table each epoch and checkpoints the model as
``iv3_finetuned`` (aliases ``best``/``latest`` on improvement); the notebook then links the best
checkpoint to the registered model "Nature Classification" with the alias ``staging`` in the
UI (here: ``run.link_artifact``), and an inference run uses ``Nature Classification:staging``
and logs a table of test results. Images are small random PNGs and Keras a numpy matrix.

A bare link target (``run.link_artifact(art, "<name>")``, W&B's old model registry) lands in
the ``model`` registry (issue 18); the notebook reads the link back from the run's project
(``use_artifact("<name>:<alias>")``, ``<entity>/<project>/<name>``), where W&B's SDK puts it:
such a path finds it there, with a one-line notice.
"""

from __future__ import annotations

import os
from random import Random

import numpy as np
import pytest
from PIL import Image

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

CLASS_NAMES = ["Animalia", "Amphibia", "Arachnida", "Aves", "Fungi"]
DATA_SRC = "nature_100"
IMAGES_PER_LABEL = 10
BALANCED_SPLITS = {"train": 8, "val": 1, "test": 1}
PREFIX = "GCS"
PROJECT_NAME = "Model Registry E2E"
TOTAL_IMAGES = IMAGES_PER_LABEL * len(CLASS_NAMES)
RAW_DATA_AT = "_".join([PREFIX, "raw_data", str(TOTAL_IMAGES)])
SPLIT_DATA_AT = "_".join([PREFIX, "80-10-10", str(TOTAL_IMAGES)])
MODEL_NAME = "iv3_finetuned"
SAVE_MODEL_DIR = "finetune_iv3_keras"


def _images(rng: np.random.Generator) -> None:
    for label in CLASS_NAMES:
        os.makedirs(os.path.join(DATA_SRC, label), exist_ok=True)
        for i in range(IMAGES_PER_LABEL):
            pixels = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(os.path.join(DATA_SRC, label, f"{label}_{i}.jpg"), format="PNG")


def _load(folder: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    names, xs, ys = [], [], []
    for label in sorted(os.listdir(folder)):
        for img in sorted(os.listdir(os.path.join(folder, label))):
            names.append(img.split(".")[0])
            xs.append(np.asarray(Image.open(os.path.join(folder, label, img)), dtype=np.float32) / 255.0)
            ys.append(CLASS_NAMES.index(label))
    return names, np.stack(xs), np.array(ys)


def test_model_registry_e2e_notebook(default_entity: str) -> None:
    entity = default_entity
    shuffle = Random(0).shuffle
    _images(np.random.default_rng(0))

    run = wandb.init(project=PROJECT_NAME, entity=entity, job_type="upload_data")
    raw_data_art = wandb.Artifact(RAW_DATA_AT, type="raw_data")
    raw_data_art.add_dir(DATA_SRC)
    run.log_artifact(raw_data_art)
    run.finish()

    run = wandb.init(project=PROJECT_NAME, entity=entity, job_type="data_split")
    data_dir = run.use_artifact(RAW_DATA_AT + ":latest").download()
    data_split_at = wandb.Artifact(SPLIT_DATA_AT, type="balanced_data")
    for label in os.listdir(data_dir):
        if label.startswith("."):
            continue
        imgs_per_label = os.listdir(os.path.join(data_dir, label))
        shuffle(imgs_per_label)
        start_id = 0
        for split, count in BALANCED_SPLITS.items():
            for img_file in imgs_per_label[start_id : start_id + count]:
                data_split_at.add_file(
                    os.path.join(data_dir, label, img_file), name=os.path.join(split, label, img_file)
                )
            start_id += count
    run.log_artifact(data_split_at)
    run.finish()

    n = len(CLASS_NAMES)
    cfg_defaults = {"num_train": 8 * n, "num_val": n, "num_classes": n, "epochs": 3, "batch_size": 32}
    run = wandb.init(
        project=PROJECT_NAME,
        entity=entity,
        name="keras_model_training",
        job_type="train",
        config=cfg_defaults,
    )
    cfg = wandb.config
    data_dir = run.use_artifact(SPLIT_DATA_AT + ":latest", type="balanced_data").download()
    _, x_train, y_train = _load(os.path.join(data_dir, "train"))
    val_names, x_val, y_val = _load(os.path.join(data_dir, "val"))
    weights = np.zeros((8 * 8 * 3, cfg.num_classes))
    best_acc, best_model = float("-inf"), None
    for _ in range(cfg.epochs):  # model.fit with the notebook's ValLog callback
        flat = x_train.reshape(len(x_train), -1)
        weights += 0.1 * flat.T @ (np.eye(cfg.num_classes)[y_train] - flat @ weights) / len(flat)
        scores = x_val.reshape(len(x_val), -1) @ weights
        guesses = scores.argmax(axis=1)
        table = wandb.Table(columns=["id", "image", "guess", "truth"] + ["score_" + a for a in CLASS_NAMES])
        for img_id, img, guess, truth, row_scores in zip(
            val_names, x_val, guesses, y_val, scores, strict=True
        ):
            table.add_data(
                img_id, wandb.Image(img), CLASS_NAMES[guess], CLASS_NAMES[truth], *np.round(row_scores, 4)
            )
        val_acc = float(np.mean(guesses == y_val))
        wandb.run.log({"predictions": table, "val_acc": val_acc})
        is_best = val_acc > best_acc
        if is_best:
            best_acc = val_acc
        trained_model_artifact = wandb.Artifact(
            MODEL_NAME, type="model", description="finetuned inception v3"
        )
        os.makedirs(SAVE_MODEL_DIR, exist_ok=True)
        np.save(os.path.join(SAVE_MODEL_DIR, "weights.npy"), weights)
        trained_model_artifact.add_dir(SAVE_MODEL_DIR)
        wandb.log_artifact(trained_model_artifact, aliases=["best", "latest"] if is_best else None)
        if is_best:
            best_model = trained_model_artifact
    run.link_artifact(best_model, "Nature Classification", ["staging"])  # the notebook's UI step
    run.finish()

    run = wandb.init(project=PROJECT_NAME, entity=entity, job_type="inference")
    model_at = wandb.use_artifact("Nature Classification:staging")
    model = np.load(os.path.join(model_at.download(), "weights.npy"))
    test_dir = run.use_artifact(SPLIT_DATA_AT + ":latest").download() + "/test/"
    names, x_test, y_test = _load(test_dir)
    classes = x_test.reshape(len(x_test), -1) @ model
    test_dt = wandb.Table(columns=["id", "image", "guess", "truth"] + ["score_" + a for a in CLASS_NAMES])
    for img_id, img, truth, c in zip(names, x_test, y_test, classes, strict=True):
        test_dt.add_data(
            img_id, wandb.Image(img), CLASS_NAMES[int(np.argmax(c))], CLASS_NAMES[truth], *np.round(c, 4)
        )
    run.log({"test_results": test_dt})
    inference_id = run.id
    run.finish()

    api = wandb.Api()
    split = api.artifact(f"{entity}/{PROJECT_NAME}/{SPLIT_DATA_AT}:latest")
    assert sorted({f.name.split("/")[0] for f in split.files()}) == ["test", "train", "val"]
    assert len(list(split.files())) == TOTAL_IMAGES
    staged = api.artifact(f"{entity}/{PROJECT_NAME}/Nature Classification:staging")
    assert staged.is_link and staged.source_name == f"{MODEL_NAME}:{best_model.version}"
    assert np.array_equal(np.load(os.path.join(staged.download(), "weights.npy")), model)
    inference = api.run(f"{entity}/{PROJECT_NAME}/{inference_id}")
    assert inference.summary["test_results"]["nrows"] == len(CLASS_NAMES)
