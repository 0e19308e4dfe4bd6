"""wandb/examples ``colabs/wandb_registry/zoo_wandb.ipynb``, converted.

Team A publishes the zoo dataset, then its train/test split, to collections of the "Zoo"
registry (``run.link_artifact(artifact=, target_path="wandb-registry-Zoo/...")``), trains a
classifier from the registry's ``v0`` (``download(path_prefix=...)`` of two files only), logs
the model as ``zoo-<run id>`` and links it to "Zoo_Classifier_Models"; team B (another entity)
then uses the model and the test split from the registry. The UCI zoo data is generated
(16 features, 7 classes); torch is numpy.

The notebook reads ``wandb-registry-zoo/...`` for the registry "Zoo": registry names match
whatever their case, as in W&B. The registry "Zoo" is made in W&B's UI; here
``api.create_registry("Zoo", "organization")`` makes it first.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

REGISTRY_NAME = "Zoo"
PROJECT = "zoo_experiment"


def test_zoo_registry_notebook(default_entity: str) -> None:
    team_entity = default_entity
    wandb.Api().create_registry(REGISTRY_NAME, "organization", artifact_types=["dataset", "model"])
    rng = np.random.default_rng(0)
    dataset = rng.integers(0, 2, (101, 16)).astype(np.float32)
    labels = rng.integers(0, 7, (101, 1))
    np.save("zoo_dataset.npy", dataset)
    np.save("zoo_labels.npy", labels)

    collection_name = "zoo-dataset-tensors"
    dataset_target_path = f"wandb-registry-{REGISTRY_NAME}/{collection_name}"
    with wandb.init(entity=team_entity, project=PROJECT, job_type="publish_dataset") as run:
        artifact = wandb.Artifact(
            name="zoo_dataset", type="dataset", description="Processed dataset and labels."
        )
        artifact.add_file(local_path="zoo_dataset.npy", name="zoo_dataset")
        artifact.add_file(local_path="zoo_labels.npy", name="zoo_labels")
        run.link_artifact(artifact=artifact, target_path=dataset_target_path)

    config = {"random_state": 42, "test_size": 0.25, "shuffle": True}
    order = np.random.default_rng(config["random_state"]).permutation(len(dataset))
    cut = int(len(dataset) * (1 - config["test_size"]))
    splits = {
        "zoo_dataset_X_train": dataset[order[:cut]],
        "zoo_labels_y_train": labels[order[:cut]],
        "zoo_dataset_X_test": dataset[order[cut:]],
        "zoo_labels_y_test": labels[order[cut:]],
    }
    for name, values in splits.items():
        np.save(name + ".npy", values)
    collection_name = "zoo-dataset-tensors-split"
    with wandb.init(
        entity=team_entity, project=PROJECT, job_type="publish_split_dataset", config=config
    ) as run:
        artifact = wandb.Artifact(
            name="split_zoo_dataset", type="dataset", description="zoo_dataset split in 4"
        )
        for name in splits:
            artifact.add_file(local_path=name + ".npy", name=name)
        run.link_artifact(artifact=artifact, target_path=f"wandb-registry-{REGISTRY_NAME}/{collection_name}")

    hyperparameter_config = {
        "learning_rate": 0.1,
        "epochs": 200,
        "model_type": "Multivariate_neural_network_classifier",
    }
    with wandb.init(
        entity=team_entity, project=PROJECT, job_type="training", config=hyperparameter_config
    ) as run:
        artifact_name = f"wandb-registry-{REGISTRY_NAME.lower()}/{collection_name}:v0"
        dataset_artifact = run.use_artifact(artifact_or_name=artifact_name)
        x_train_path = dataset_artifact.download(path_prefix="zoo_dataset_X_train")
        y_train_path = dataset_artifact.download(path_prefix="zoo_labels_y_train")
        x_train = np.load(x_train_path + "/zoo_dataset_X_train", allow_pickle=False)
        y_train = np.load(y_train_path + "/zoo_labels_y_train", allow_pickle=False)
        assert not os.path.exists(x_train_path + "/zoo_dataset_X_test")
        weights = np.zeros((16, 7))
        for e in range(hyperparameter_config["epochs"] + 1):
            scores = x_train @ weights
            loss = float(np.mean((scores - np.eye(7)[y_train[:, 0]]) ** 2))
            weights -= 0.01 * x_train.T @ (scores - np.eye(7)[y_train[:, 0]]) / len(x_train)
            run.log({"train/epoch_ndx": e, "train/train_loss": loss})
            if e % 100 == 0:
                with open("zoo_wandb.pth", "wb") as f:
                    np.save(f, weights)
                model_artifact_name = f"zoo-{wandb.run.id}"
                artifact = wandb.Artifact(
                    name=model_artifact_name,
                    type="model",
                    metadata={"num_classes": 7, "model_type": wandb.config["model_type"]},
                )
        artifact.add_file("zoo_wandb.pth")
        artifact.save()

    artifact_name = f"{team_entity}/{PROJECT}/{model_artifact_name}:v0"
    target_path = f"wandb-registry-{REGISTRY_NAME}/Zoo_Classifier_Models"
    with wandb.init(entity=team_entity, project=PROJECT) as run:
        model_artifact = run.use_artifact(artifact_or_name=artifact_name, type="model")
        run.link_artifact(artifact=model_artifact, target_path=target_path)

    with wandb.init(entity=team_entity, project="Check_Zoo_Model") as run:
        registry_model = run.use_artifact(
            artifact_or_name=f"wandb-registry-{REGISTRY_NAME}/Zoo_Classifier_Models:v0"
        )
        local_model_path = registry_model.download()
        with open(local_model_path + "/zoo_wandb.pth", "rb") as f:
            loaded = np.load(f)
        data_artifact = run.use_artifact(
            artifact_or_name=f"wandb-registry-{REGISTRY_NAME}/zoo-dataset-tensors-split:v0"
        )
        x_test = np.load(data_artifact.download(path_prefix="zoo_dataset_X_test") + "/zoo_dataset_X_test")
    assert registry_model.project == f"wandb-registry-{REGISTRY_NAME}"  # the name as created
    assert dataset_artifact.project == f"wandb-registry-{REGISTRY_NAME}"
    assert [r.name for r in wandb.Api().registries()].count(REGISTRY_NAME) == 1
    assert np.array_equal(loaded, weights)
    assert np.array_equal(x_test, splits["zoo_dataset_X_test"])
