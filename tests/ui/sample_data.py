"""The store the UI tests look at, built once per session through the public SDK.

Project ``vision`` (entity ``local``):

    ingest ──logs──> images:v0            (text, CSV, JSON, PNG, binary, a reference)
    ingest-2 ──logs──> images:v1 (stable)  (labels changed, dog.png added, notes.txt removed)
    images:v1 ──used by──> train ──logs──> classifier:v0 (candidate)
    classifier:v0 ──linked as──> wandb-registry-model/Vision Classifier:v0 (production)
    classifier:v0 ──used by──> sweep-0..5 ──log──> eval-report:v0..v5
    xss-check:v0 and a run whose name, config, description, metadata, alias and
    file names carry HTML/script payloads
    editable-http:v0, editable-browser:v0, editable-key:v0  (the tests that edit use these)

Project ``tables``: W&B-layout table files (``tests/ui/table_data.py``).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ui.table_data import log_table_artifacts

ENTITY = "local"
PROJECT = "vision"
SWEEP_RUNS = 6
LABEL_ROWS_V0 = 80
HISTORY_STEPS = 50
REGISTERED_MODEL = "Vision Classifier"
"""classifier:v0 is linked into the ``model`` registry under this name, alias production."""
XSS = "<script>window.__xss=1</script>"
XSS_IMG = "<img src=x onerror=window.__xss=2>"
XSS_DESCRIPTION = (
    f"XSS test {XSS} {XSS_IMG} [click](javascript:window.__xss=3) and [ok](https://example.com/)"
)
XSS_ALIAS = "<img src=x onerror=window.__xss=6>"
XSS_FILE = "<img src=x onerror=window.__xss=7>.txt"
XSS_RUN_NAME = "<script>window.__xss=9</script>"
DESCRIPTION_V0 = "# Cat images\n\nSome **bold** text and [a link](https://example.com/docs)."
EDITABLE = ("editable-http", "editable-browser", "editable-key")


@dataclass(frozen=True)
class SampleStore:
    home: Path
    external_file: Path
    png: bytes
    labels_v0: str
    train_run_id: str
    ingest_run_id: str
    xss_run_id: str
    sweep_run_ids: tuple[str, ...]
    charts_run_id: str


def png_bytes(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def labels_csv(rows: int, tag: str) -> str:
    lines = ["file,label,score"]
    lines += [f"img{i:03d}.png,{'cat' if i % 2 else 'dog'},{i / rows:.3f}{tag}" for i in range(rows)]
    return "\n".join(lines) + "\n"


@contextmanager
def sdk_environment(home: Path, workdir: Path) -> Iterator[None]:
    """ARCHIVIST_* pointing at ``home`` while the block logs through the SDK."""
    from archivist.sdk import session
    from archivist.sdk.context import reset_contexts

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARCHIVIST_DIR", str(home))
        patch.setenv("ARCHIVIST_CACHE_DIR", str(workdir / "cache"))
        patch.setenv("ARCHIVIST_ARTIFACT_DIR", str(workdir / "artifacts"))
        patch.setenv("ARCHIVIST_SILENT", "1")
        for name in ("ARCHIVIST_ENTITY", "ARCHIVIST_PROJECT", "ARCHIVIST_BASE_URL", "ARCHIVIST_API_KEY"):
            patch.delenv(name, raising=False)
        patch.chdir(workdir)
        reset_contexts()
        try:
            yield
        finally:
            session.teardown()
            reset_contexts()


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def build_sample_store(root: Path) -> SampleStore:
    import archivist

    home, work = root / "home", root / "work"
    work.mkdir(parents=True)
    png = png_bytes(24, 16, (200, 80, 40))
    external = write(work / "external" / "ext.txt", "bytes that stay outside the store\n")
    labels_v0 = labels_csv(LABEL_ROWS_V0, "")
    with sdk_environment(home, work):
        v0 = work / "images-v0"
        write(v0 / "README.md", "# Images\n\nhello\n")
        write(v0 / "data" / "labels.csv", labels_v0)
        write(
            v0 / "data" / "meta.json", '{"classes": ["cat", "dog"], "nested": {"k": 1, "html": "<b>x</b>"}}'
        )
        write(v0 / "images" / "cat.png", png)
        write(v0 / "notes.txt", "first version notes\n")
        write(v0 / "blob.bin", bytes(range(256)) * 4)
        with archivist.init(
            project=PROJECT, job_type="ingest", name="ingest", config={"source": "camera"}
        ) as run:
            images = archivist.Artifact(
                "images",
                type="dataset",
                description=DESCRIPTION_V0,
                metadata={
                    "rows": LABEL_ROWS_V0,
                    "split": {"train": 0.8, "test": 0.2},
                    "classes": ["cat", "dog"],
                },
            )
            images.add_dir(str(v0))
            images.add_reference(external.as_uri(), name="external/ext.txt")
            run.log_artifact(images, tags=["raw"]).wait()
            ingest_run_id = run.id

        v1 = work / "images-v1"
        write(v1 / "README.md", "# Images\n\nhello\n")
        write(v1 / "data" / "labels.csv", labels_csv(120, "1"))
        write(
            v1 / "data" / "meta.json", '{"classes": ["cat", "dog"], "nested": {"k": 1, "html": "<b>x</b>"}}'
        )
        write(v1 / "images" / "cat.png", png)
        write(v1 / "images" / "dog.png", png_bytes(16, 16, (40, 80, 200)))
        write(v1 / "blob.bin", bytes(range(256)) * 4)
        with archivist.init(project=PROJECT, job_type="ingest", name="ingest-2") as run:
            images = archivist.Artifact(
                "images",
                type="dataset",
                description="## Second cut\n\nRelabelled **120** images and added `images/dog.png`.",
                metadata={
                    "rows": 120,
                    "split": {"train": 0.9, "test": 0.1},
                    "classes": ["cat", "dog"],
                    "source": "v2",
                },
            )
            images.add_dir(str(v1))
            images.add_reference(external.as_uri(), name="external/ext.txt")
            run.log_artifact(images, aliases=["stable"], tags=["raw", "reviewed"]).wait()

        with archivist.init(
            project=PROJECT, job_type="train", name="train", config={"lr": 0.01, "epochs": HISTORY_STEPS}
        ) as run:
            run.use_artifact("images:stable")
            for step in range(HISTORY_STEPS):
                run.log({"loss": 1.0 / (step + 1), "acc": step / HISTORY_STEPS})
            run.summary["acc"] = 0.98
            model = archivist.Artifact("classifier", type="model", metadata={"accuracy": 0.93})
            with model.new_file("model.json") as handle:
                handle.write('{"weights": [1, 2, 3]}')
            run.log_artifact(model, aliases=["candidate"]).wait()
            run.link_artifact(model, f"wandb-registry-model/{REGISTERED_MODEL}", aliases=["production"])
            train_run_id = run.id

        sweep_ids = []
        for i in range(SWEEP_RUNS):
            with archivist.init(
                project=PROJECT, job_type="eval", name=f"sweep-{i}", config={"seed": i}
            ) as run:
                run.use_artifact("classifier:candidate")
                report = archivist.Artifact("eval-report", type="report", metadata={"seed": i})
                with report.new_file("report.txt") as handle:
                    handle.write(f"seed {i}\n")
                run.log_artifact(report).wait()
                sweep_ids.append(run.id)

        xss_dir = work / "xss"
        write(xss_dir / XSS_FILE, f"{XSS}\n")
        write(xss_dir / "cells.csv", f"name,value\n{XSS_IMG},{XSS}\n")
        write(xss_dir / "values.json", f'{{"{XSS_IMG}": "{XSS}"}}')
        with archivist.init(
            project=PROJECT, job_type="xss", name=XSS_RUN_NAME, config={XSS_IMG: XSS}, notes=XSS_DESCRIPTION
        ) as run:
            xss = archivist.Artifact(
                "xss-check",
                type="dataset",
                description=XSS_DESCRIPTION,
                metadata={XSS_IMG: XSS, "nested": {XSS: [XSS_IMG]}},
            )
            xss.add_dir(str(xss_dir))
            run.log_artifact(xss, aliases=[XSS_ALIAS]).wait()
            xss_run_id = run.id

        with archivist.init(project=PROJECT, job_type="edit", name="editable") as run:
            for name in EDITABLE:
                artifact = archivist.Artifact(name, type="dataset", description="Before the edit.")
                with artifact.new_file("value.txt") as handle:
                    handle.write(name)
                run.log_artifact(artifact).wait()

        charts_run_id = log_table_artifacts(work, png_bytes)
    return SampleStore(
        home=home,
        external_file=external,
        png=png,
        labels_v0=labels_v0,
        train_run_id=train_run_id,
        ingest_run_id=ingest_run_id,
        xss_run_id=xss_run_id,
        sweep_run_ids=tuple(sweep_ids),
        charts_run_id=charts_run_id,
    )


def child_env(home: Path) -> dict[str, str]:
    """Environment for an ``archivist ui`` process over ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")}
    env["ARCHIVIST_DIR"] = str(home)
    env["ARCHIVIST_CACHE_DIR"] = str(home.parent / "ui-cache")
    return env
