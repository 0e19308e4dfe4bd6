"""wandb/examples ``colabs/wandb-artifacts/WandB_Artifacts_Time_to_live_TTL_Walkthrough.ipynb``, converted.

Log a "real" raw dataset with ``ttl = timedelta(days=10)`` and a "fake" one without; extend the
TTL of the version aliased ``extended`` and remove it from the one aliased ``compliant``; walk
the project's runs and their logged artifacts to clear the TTL of every ``fake-raw`` version;
preprocess the real images into ``real-prepro`` and walk the lineage downstream from
``real-raw`` (``used_by`` -> ``logged_artifacts``) to give every derived dataset a TTL. The
notebook's team entity is the test's own; Imagenette is a few generated PNGs; the aliases the
notebook sets in the UI are given at log time.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")

PROJECT = "artifacts-ttl-demo"


def _make_images(folder: Path, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for label in ("n01440764", "n02102040"):
        (folder / label).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            pixels = rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / label / f"{label}_{seed}_{i}.JPEG", format="PNG")


def preprocess_image(image_path: Path) -> Image.Image:
    return Image.open(image_path).resize((8, 8))


def test_ttl_walkthrough_notebook(default_entity: str) -> None:
    entity = default_entity
    train_source_dir, val_source_dir = Path("imagenette2-160/train"), Path("imagenette2-160/val")
    _make_images(train_source_dir, 3, seed=1)
    _make_images(val_source_dir, 2, seed=2)

    # Setting TTL on new artifacts (run twice: the notebook rewrites its samples each time)
    for round_ in range(2):
        with wandb.init(entity=entity, project=PROJECT, job_type="raw-data") as run:
            raw_real_art = wandb.Artifact(
                "real-raw", type="dataset", description="Raw sample train Imagenette"
            )
            raw_real_art.add_dir(train_source_dir)
            raw_real_art.ttl = timedelta(days=10)
            run.log_artifact(raw_real_art, aliases=["extended"] if round_ == 0 else ["compliant"])
            raw_fake_art = wandb.Artifact(
                "fake-raw", type="dataset", description="Raw sample from val Imagenette"
            )
            raw_fake_art.add_dir(val_source_dir)
            raw_fake_art.ttl = timedelta(days=30)
            run.log_artifact(raw_fake_art)
            run.finish()
        _make_images(train_source_dir, 1, seed=10 + round_)
        _make_images(val_source_dir, 1, seed=20 + round_)

    # Updating TTLs retroactively
    with wandb.init(entity=entity, project=PROJECT, job_type="modify-ttl") as run:
        extended_art = run.use_artifact(f"{entity}/{PROJECT}/real-raw:extended")
        extended_art.ttl = timedelta(days=365)
        extended_art.save()
        compliant_art = run.use_artifact(f"{entity}/{PROJECT}/real-raw:compliant")
        compliant_art.ttl = None
        compliant_art.save()
        assert extended_art.ttl == timedelta(days=365)
        assert compliant_art.ttl is None
        run.finish()

    # Iterate the versions through the API and remove their TTL
    api = wandb.Api()
    version_names = []
    for run in api.runs(entity + "/" + PROJECT):
        for artifact in iter(run.logged_artifacts()):
            if "fake-raw" in artifact.name:
                version_names.append(f"{artifact.name}/{artifact.version}")
    assert sorted(version_names) == ["fake-raw:v0/v0", "fake-raw:v1/v1"]
    with wandb.init(entity=entity, project=PROJECT, job_type="modify-ttl") as run:
        for version in version_names:
            version_art = run.use_artifact(f"{entity}/{PROJECT}/{'/'.join(version.split('/')[:-1])}")
            version_art.ttl = None
            version_art.save()
            assert version_art.ttl is None

    # Preprocess the real images and log them downstream
    real_prepro_dir = Path("data/prepro/real")
    real_prepro_dir.mkdir(parents=True, exist_ok=True)
    with wandb.init(entity=entity, project=PROJECT, job_type="preprocessing") as run:
        real_art = run.use_artifact(f"{entity}/{PROJECT}/real-raw:latest")
        real_images = Path(real_art.download())
        for image_path in real_images.rglob("*.JPEG"):
            preprocess_image(image_path).save(real_prepro_dir / image_path.name, format="PNG")
        prepro_real_art = wandb.Artifact("real-prepro", type="dataset", description="Preprocessed images")
        prepro_real_art.add_dir(real_prepro_dir)
        run.log_artifact(prepro_real_art)
        run.finish()

    # Traverse the graph from real-raw and give everything downstream a TTL
    artifact = api.artifact(f"{entity}/{PROJECT}/real-raw:latest")
    version_names = []
    for run in artifact.used_by():
        for logged in iter(run.logged_artifacts()):
            if logged.type == "dataset":
                version_names.append(f"{logged.name}/{logged.version}")
    assert version_names == ["real-prepro:v0/v0"]
    days = random.Random(4).randint(1, 100)
    with wandb.init(entity=entity, project=PROJECT, job_type="modify-ttl") as run:
        for version in version_names:
            version_art = run.use_artifact(f"{entity}/{PROJECT}/{'/'.join(version.split('/')[:-1])}")
            version_art.ttl = timedelta(days=days)
            version_art.save()
        run.finish()

    # What the UI shows for each version
    fresh = wandb.Api()
    assert fresh.artifact(f"{entity}/{PROJECT}/real-raw:extended").ttl == timedelta(days=365)
    assert fresh.artifact(f"{entity}/{PROJECT}/real-raw:compliant").ttl is None
    assert fresh.artifact(f"{entity}/{PROJECT}/fake-raw:v0").ttl is None
    assert fresh.artifact(f"{entity}/{PROJECT}/fake-raw:v1").ttl is None
    prepro = fresh.artifact(f"{entity}/{PROJECT}/real-prepro:latest")
    assert prepro.ttl == timedelta(days=days)
    assert len(list(prepro.files())) == 8  # 3 + 1 images per class in the latest real-raw
