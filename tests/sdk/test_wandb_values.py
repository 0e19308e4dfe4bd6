"""W&B's lenient values and names, on the embedded store and on servers: config, summary,
history and metadata take what W&B takes and read back as W&B stores them."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import numpy as np
import pytest

import archivist
from archivist.core.errors import ArtifactNotFoundError, InvalidInputError


class Model:
    def __str__(self) -> str:
        return "Model(layers=3)"


def test_config_summary_and_history_take_what_w_and_b_takes(archivist_env: Path) -> None:
    with archivist.init(
        project="values",
        config={"lr": np.float32(0.5), "layers": np.arange(3), "data": Path("/data/train"), 3: "three"},
    ) as run:
        run.config.update({"model": Model(), "weights": {0: 1.0, 1: np.float64(2.5)}, "cap": math.inf})
        run.log({"loss": np.float32(0.25), "best": math.inf, "gap": math.nan})
        run.summary["best_loss"] = math.inf
        run.summary["worst"] = -math.inf
        run.summary["shape"] = np.array([[1, 2], [3, 4]])
        path = "/".join([run.entity, run.project, run.id])
    stored = archivist.Api().run(path)
    assert stored.config == {
        "lr": 0.5,
        "layers": [0, 1, 2],
        "data": "/data/train",
        "3": "three",
        "model": "Model(layers=3)",
        "weights": {"0": 1.0, "1": 2.5},
        "cap": math.inf,
    }
    assert stored.summary["best_loss"] == math.inf and stored.summary["worst"] == -math.inf
    assert stored.summary["shape"] == [[1, 2], [3, 4]]
    assert stored.summary["loss"] == 0.25 and stored.summary["best"] == math.inf
    (row,) = list(stored.scan_history(keys=["loss", "best", "gap"]))
    assert (row["loss"], row["best"], row["gap"]) == (0.25, math.inf, None)


def test_metadata_takes_what_w_and_b_takes(archivist_env: Path, tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"w")
    metadata = {
        "threshold": math.inf,
        "scores": np.array([0.5, 0.25]),
        "n": np.int64(10),
        "source": tmp_path,
        "by_class": {0: 3, 1: 4},
        "model": Model(),
        "missing": math.nan,
    }
    with archivist.init(project="values") as run:
        art = archivist.Artifact("weights", type="model", metadata=metadata)
        art.metadata["later"] = -math.inf
        art.add_file(str(tmp_path / "w.bin"))
        run.log_artifact(art).wait()
    read = archivist.Api().artifact("values/weights:latest")
    assert read.metadata == {
        "threshold": math.inf,
        "scores": [0.5, 0.25],
        "n": 10,
        "source": str(tmp_path),
        "by_class": {"0": 3, "1": 4},
        "model": "Model(layers=3)",
        "missing": None,
        "later": -math.inf,
    }


def test_an_artifact_without_a_type_is_unspecified(archivist_env: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("n")
    art = archivist.Artifact("notes")
    assert art.type == "unspecified"
    art.add_file(str(tmp_path / "notes.txt"))
    with archivist.init(project="values") as run:
        run.log_artifact(art).wait()
    assert archivist.Api().artifact("values/notes:v0").type == "unspecified"


def test_run_tags_are_any_strings_as_in_w_and_b(archivist_env: Path) -> None:
    tags = ["lr=0.01", "v1.2", "data/augmented", "two words"]
    with archivist.init(project="values", tags=tags) as run:
        run.tags = (*run.tags, "added: later")
        path = "/".join([run.entity, run.project, run.id])
    stored = archivist.Api().run(path)
    assert stored.tags == [*tags, "added: later"]
    stored.tags.append("après")
    stored.update()
    assert archivist.Api().run(path).tags[-1] == "après"
    with pytest.raises(InvalidInputError, match="run tag"):
        archivist.init(project="values", tags=["ok", ""])
    # an artifact's tags keep W&B's artifact rule
    with archivist.init(project="values") as other, pytest.raises(InvalidInputError, match="invalid tag"):
        other.log_artifact(archivist.Artifact("a"), tags=["lr=0.01"])


def test_registered_model_names_may_have_spaces(archivist_env: Path, default_entity: str) -> None:
    """W&B's registry and legacy model registry collections are named like 'Example ML Task'."""
    name = f"Example ML Task {uuid.uuid4().hex[:8]}"  # the registries are shared on a server
    Path("model.pt").write_bytes(b"weights")
    with archivist.init(project="train") as run:
        linked = run.link_model("model.pt", name, name="mnist-model", aliases=["staging"])
    assert (linked.project, linked.name) == ("wandb-registry-model", f"{name}:v0")
    read = archivist.Api().artifact(f"{default_entity}/model-registry/{name}:staging")
    assert read.id == linked.id and read.type == "model"
    for bad in (" Lead", "Trail ", "Two  spaces", "tab\there", "semi;colon", "line\n"):
        with pytest.raises(InvalidInputError, match="registry collection name"):
            archivist.Api().artifact(f"model-registry/{bad}:latest")
        with pytest.raises(InvalidInputError, match="registry collection name"):
            archivist.Api().artifact(f"wandb-registry-model/{bad}:latest")
    with pytest.raises(InvalidInputError, match="artifact name"):  # elsewhere names stay W&B's
        archivist.Artifact("with space", type="model")
    # a path in a project may name a link a bare target made there ("<name>:staging" in W&B's
    # model-registry notebooks): the name is looked up, and found in none here
    with pytest.raises(ArtifactNotFoundError, match="no artifact 'with space' in"):
        archivist.Api().artifact("train/with space:latest")
    with pytest.raises(InvalidInputError, match="linked collection name 'with  two spaces'"):
        archivist.Api().artifact("train/with  two spaces:latest")
