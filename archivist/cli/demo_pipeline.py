"""The four runs of ``archivist demo``, written as a user would write them with the
public, W&B-compatible API: ingest -> preprocess -> train -> evaluate.

Each run uses the previous run's artifact by alias, downloads it, does real
(small) work on the files and logs its own artifact, so the store ends up with
a four-run lineage graph. ``on_logged`` is told about every logged version,
including whether it was identical to an existing one (deduplicated).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archivist.cli.demo_data import (
    FEATURES,
    RAW_FILES,
    SEED,
    LinearModel,
    Normalisation,
    fit_linear,
    mean_squared_error,
    r_squared,
    read_csv_folder,
    read_rows,
    split,
    write_json,
    write_raw_dataset,
    write_rows,
)
from archivist.core.errors import NotFoundError
from archivist.core.models import VersionQuery

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact
    from archivist.sdk.run import Run

PROJECT = "archivist-demo"
EPOCHS = 60
LEARNING_RATE = 0.1
PRODUCTION_R2 = 0.95
"""The evaluation promotes the model to 'production' when its test R² reaches this."""


@dataclass(frozen=True)
class LoggedVersion:
    step: str
    artifact: Artifact
    deduplicated: bool
    """True when the content was identical to an existing version: nothing new was stored."""
    note: str = ""


def existing_versions(name: str) -> set[str]:
    """The 'vN' of every version of ``PROJECT/name`` (empty when it does not exist yet)."""
    from archivist.sdk.context import get_context

    context = get_context()
    try:
        records = context.backend.list_versions(VersionQuery(context.entity, PROJECT, name))
    except NotFoundError:
        return set()
    return {record.version for record in records}


@dataclass(frozen=True)
class DemoOutcome:
    model: Artifact
    promoted: bool
    """Whether the evaluation moved 'production' onto the model."""


class DemoPipeline:
    def __init__(self, workdir: str, on_logged: Callable[[LoggedVersion], None]) -> None:
        self.workdir = workdir
        self.on_logged = on_logged

    def path(self, *parts: str) -> str:
        return os.path.join(self.workdir, *parts)

    def download(self, artifact: Artifact) -> str:
        return artifact.download(root=self.path("downloads", artifact.name.replace(":", "-")))

    def log(
        self, run: Run, step: str, artifact: Artifact, aliases: tuple[str, ...] = (), note: str = ""
    ) -> Artifact:
        before = existing_versions(artifact.name)
        logged: Artifact = run.log_artifact(artifact, aliases=list(aliases))
        logged.wait()
        self.on_logged(LoggedVersion(step, logged, logged.version in before, note))
        return logged

    def run_all(self) -> DemoOutcome:
        """Run the four steps."""
        self.ingest()
        self.preprocess()
        model = self.train()
        return DemoOutcome(model, promoted=self.evaluate())

    def ingest(self) -> Artifact:
        import archivist

        raw_dir = self.path("raw")
        rows = write_raw_dataset(raw_dir)
        config = {"files": RAW_FILES, "seed": SEED}
        with archivist.init(project=PROJECT, job_type="ingest", name="ingest", config=config) as run:
            raw = archivist.Artifact(
                "demo-raw",
                type="dataset",
                description="Synthetic sensor readings: x1, x2 and a noisy target y.",
                metadata={"rows": rows, "files": RAW_FILES, "seed": SEED},
            )
            raw.add_dir(raw_dir)
            return self.log(run, "ingest", raw)

    def preprocess(self) -> Artifact:
        import archivist

        with archivist.init(project=PROJECT, job_type="preprocess", name="preprocess") as run:
            rows = read_csv_folder(self.download(run.use_artifact("demo-raw:latest")))
            normalisation = Normalisation.of(rows)
            train, test = split(normalisation.apply(rows))
            out = self.path("processed")
            os.makedirs(out, exist_ok=True)
            write_rows(os.path.join(out, "train.csv"), train)
            write_rows(os.path.join(out, "test.csv"), test)
            write_json(os.path.join(out, "normalisation.json"), normalisation.to_json())
            processed = archivist.Artifact(
                "demo-processed",
                type="dataset",
                description="Features z-score normalised; every 5th row held out for testing.",
                metadata={"train_rows": len(train), "test_rows": len(test), **normalisation.to_json()},
            )
            processed.add_dir(out)
            return self.log(run, "preprocess", processed)

    def train(self) -> Artifact:
        import archivist

        config = {"epochs": EPOCHS, "learning_rate": LEARNING_RATE, "features": list(FEATURES)}
        with archivist.init(project=PROJECT, job_type="train", name="train", config=config) as run:
            data_dir = self.download(run.use_artifact("demo-processed:latest"))
            losses: list[float] = []

            def record(epoch: int, loss: float) -> None:
                losses.append(loss)
                run.log({"epoch": epoch, "train_mse": loss})

            fitted = fit_linear(read_rows(os.path.join(data_dir, "train.csv")), EPOCHS, LEARNING_RATE, record)
            out = self.path("model")
            os.makedirs(out, exist_ok=True)
            write_json(os.path.join(out, "model.json"), {**fitted.to_json(), "features": list(FEATURES)})
            model = archivist.Artifact(
                "demo-model",
                type="model",
                description="Linear regression fitted by gradient descent.",
                metadata={**fitted.to_json(), "train_mse": round(losses[-1], 6), "epochs": EPOCHS},
            )
            model.add_file(os.path.join(out, "model.json"))
            note = f"weights {fitted.to_json()['weights']}, bias {fitted.to_json()['bias']}"
            return self.log(run, "train", model, aliases=("candidate",), note=note)

    def evaluate(self) -> bool:
        """Score the candidate model on the test split; True when it was promoted."""
        import archivist

        with archivist.init(project=PROJECT, job_type="evaluate", name="evaluate") as run:
            model_version = run.use_artifact("demo-model:candidate")
            model = load_model(os.path.join(self.download(model_version), "model.json"))
            data_dir = self.download(run.use_artifact("demo-processed:latest"))
            test = read_rows(os.path.join(data_dir, "test.csv"))
            r2 = r_squared(model, test)
            promote = r2 >= PRODUCTION_R2
            report = {
                "model": model_version.name,
                "r2": round(r2, 6),
                "mse": round(mean_squared_error(model, test), 6),
                "promoted": promote,
            }
            out = self.path("evaluation")
            os.makedirs(out, exist_ok=True)
            write_json(os.path.join(out, "report.json"), report)
            evaluation = archivist.Artifact("demo-eval", type="evaluation", metadata=report)
            evaluation.add_file(os.path.join(out, "report.json"))
            verdict = "promoted to 'production'" if promote else f"below {PRODUCTION_R2}: not promoted"
            self.log(run, "evaluate", evaluation, note=f"test R² {r2:.4f}, model {verdict}")
            if promote:
                add_alias(model_version, "production")
            return promote


def load_model(path: str) -> LinearModel:
    with open(path) as handle:
        saved: dict[str, Any] = json.load(handle)
    first, second = saved["weights"]
    return LinearModel((float(first), float(second)), float(saved["bias"]))


def add_alias(version: Artifact, alias: str) -> None:
    """Move ``alias`` onto a logged version, the W&B way: edit ``aliases`` and save."""
    if alias not in version.aliases:
        version.aliases.append(alias)
        version.save()
