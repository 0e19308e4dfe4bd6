"""wandb/examples ``colabs/wandb-artifacts/WandB_Artifact_Tags.ipynb``, converted.

Sixteen model versions (four per AWS region), each given tags after logging (region, base model
and, except the fourth, a status) plus an accuracy in its metadata with ``arti.save()``, and
linked to the registry collection "Artifact Demo Models"; then ``api.artifacts(type_name=,
name="wandb-registry-model/Artifact Demo Models", tags=[...])`` finds the versions that carry
every tag asked for, as in the notebook's six use cases. The model file is a small random
JSON-lines table, as in the notebook.

A link carries the tags (and metadata) its source had when it was linked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

REGISTRY_COLLECTION = "wandb-registry-model/Artifact Demo Models"
regions = ["us-west-2", "eu-central-1", "me-central-1", "ap-east-1"]
base_models = {
    "us-west-2": ["Llama 3 Instruct - 70B", "Llama 3 Instruct - 70B", "Gemini 1_5 Pro", "Claude 3_5 Sonnet"],
    "eu-central-1": [
        "Llama 3 Instruct - 70B",
        "Gemini 1_5 Pro",
        "Claude 3_5 Sonnet",
        "Llama 3 Instruct - 70B",
    ],
    "me-central-1": ["Llama 3 Instruct - 70B", "Gemini 1_5 Pro", "Gemini 1_5 Pro", "Claude 3_5 Sonnet"],
    "ap-east-1": ["Claude 3_5 Sonnet", "Gemini 1_5 Pro", "Claude 3_5 Sonnet", "Gemini 1_5 Pro"],
}
accuracy = {
    "us-west-2": [0.70, 0.73, 0.77, 0.71],
    "eu-central-1": [0.76, 0.81, 0.79, 0.77],
    "me-central-1": [0.77, 0.68, 0.74, 0.83],
    "ap-east-1": [0.82, 0.79, 0.76, 0.76],
}
status = {
    "us-west-2": ["production", "candidate", "archived", "archived"],
    "eu-central-1": ["production", "candidate", "archived", "archived"],
    "me-central-1": ["production", "candidate", "candidate", "archived"],
    "ap-east-1": ["production", "candidate", "archived", "archived"],
}


def test_artifact_tags_notebook() -> None:
    run = wandb.init(project="artifacts-example", job_type="generate_artifacts")
    for region in regions:
        for i, base_model in enumerate(base_models[region]):
            df = pd.DataFrame(np.random.randint(0, 100, size=(10, 4)), columns=list("ABCD"))
            df.to_json("test_model.pt", orient="records", lines=True)
            at = wandb.Artifact(name="test_model_" + region + "_" + str(i), type="model")
            at.add_file("test_model.pt")
            arti = run.log_artifact(at)
            arti.wait()
            arti.tags = [region, base_model] if i == 3 else [region, base_model, status[region][i]]
            arti.metadata = {"accuracy": accuracy[region][i]}
            arti.save()
            run.link_artifact(at, REGISTRY_COLLECTION)
    run.finish()

    api = wandb.Api()

    def found(*tags: str) -> list[tuple[list[str], float]]:
        versions = api.artifacts(type_name="model", name=REGISTRY_COLLECTION, tags=list(tags))
        return sorted((sorted(av.tags), av.metadata["accuracy"]) for av in versions)

    # 1. the production model of each region, with its base model
    assert found("production", "us-west-2") == [(["Llama 3 Instruct - 70B", "production", "us-west-2"], 0.70)]
    # 2./3. compare regions
    assert found("production", "eu-central-1") == [
        (["Llama 3 Instruct - 70B", "eu-central-1", "production"], 0.76)
    ]
    # 4. candidates in ME-Central
    assert [acc for _, acc in found("candidate", "me-central-1")] == [0.68, 0.74]
    # 5. archived models in US-West
    # (the fourth version of each region, 0.71 here, has no status tag)
    assert [acc for _, acc in found("archived", "us-west-2")] == [0.77]
    # 6. one base model in one region
    assert [acc for _, acc in found("Claude 3_5 Sonnet", "ap-east-1")] == [0.76, 0.82]
    assert len(list(api.artifacts(type_name="model", name=REGISTRY_COLLECTION))) == 16
