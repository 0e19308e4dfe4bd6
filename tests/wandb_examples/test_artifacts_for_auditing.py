"""wandb/examples ``colabs/wandb-artifacts/W&B_artifacts_for_auditing_purposes.ipynb``, converted.

A ``CheckpointSaver`` (timm's, with W&B added) keeps the best two checkpoints on disk, hard-
links each new one (``os.link``) and logs it as a model artifact named after its file; the
config passed to ``wandb.init`` holds the data transforms as objects, and the notebook then
rebinds ``wandb.config = Config``. Finally a chosen checkpoint is fetched with the public
API and copied to a bucket only when its ``digest`` differs from the one stored there. The
training is a few numpy steps, the bucket a local folder with a JSON sidecar per object.

The config holds objects (the notebook's transforms): they are stored as W&B stores them
(``str(obj)``), not refused.
"""

from __future__ import annotations

import json
import operator
import os
import tempfile

import numpy as np
import pytest

import archivist as wandb

pytestmark = pytest.mark.usefixtures("archivist_env")


class CenterCrop:
    """Stands for torchvision's transform objects in the notebook's config."""

    def __init__(self, size: int) -> None:
        self.size = size


Config = dict(
    PROJECT="artifacts",
    MODEL="efficientnet_b3",
    PRETRAINED=False,
    LR=3e-4,
    EPOCHS=4,
    IMG_SIZE=160,
    FILENAME="checkpoint-1.pth.tar",
    ALIAS="v0",
    BS=96,
    TEST_AUG=CenterCrop(160),
    NUM_CHECKPOINTS=2,
    BUCKET="test-bucket-wandb",
)


class CheckpointSaver:
    def __init__(
        self, model, config=None, checkpoint_prefix="checkpoint", checkpoint_dir="", decreasing=False,
        max_history=2, wandb_run=None,
    ):  # fmt: skip
        self.wandb_run = wandb_run if wandb_run is not None else wandb.init(job_type="model-artifact")
        self.model = model
        self.config = config
        self.checkpoint_files: list[tuple[str, float]] = []
        self.best_epoch = None
        self.best_metric = None
        self.checkpoint_dir = checkpoint_dir
        self.save_prefix = checkpoint_prefix
        self.extension = ".pth.tar"
        self.decreasing = decreasing
        self.cmp = operator.lt if decreasing else operator.gt
        self.max_history = max_history

    def save_checkpoint(self, epoch, metric=None):
        tmp_save_path = os.path.join(self.checkpoint_dir, "tmp" + self.extension)
        last_save_path = os.path.join(self.checkpoint_dir, "last" + self.extension)
        self._save(tmp_save_path, epoch, metric)
        if os.path.exists(last_save_path):
            os.unlink(last_save_path)
        os.rename(tmp_save_path, last_save_path)
        worst_file = self.checkpoint_files[-1] if self.checkpoint_files else None
        if len(self.checkpoint_files) < self.max_history or metric is None or self.cmp(metric, worst_file[1]):
            if len(self.checkpoint_files) >= self.max_history:
                self._cleanup_checkpoints(1)
            filename = "-".join([self.save_prefix, str(epoch)]) + self.extension
            save_path = os.path.join(self.checkpoint_dir, filename)
            os.link(last_save_path, save_path)
            self.log_artifact(filename, save_path)
            self.checkpoint_files.append((save_path, metric))
            self.checkpoint_files = sorted(
                self.checkpoint_files, key=lambda x: x[1], reverse=not self.decreasing
            )
            if metric is not None and (self.best_metric is None or self.cmp(metric, self.best_metric)):
                self.best_epoch = epoch
                self.best_metric = metric
                best_save_path = os.path.join(self.checkpoint_dir, "model_best" + self.extension)
                if os.path.exists(best_save_path):
                    os.unlink(best_save_path)
                os.link(last_save_path, best_save_path)
        return (None, None) if self.best_metric is None else (self.best_metric, self.best_epoch)

    def _save(self, save_path, epoch, metric=None):
        with open(save_path, "wb") as f:
            np.savez(f, epoch=epoch, state_dict=self.model, metric=np.nan if metric is None else metric)

    def _cleanup_checkpoints(self, trim=0):
        trim = min(len(self.checkpoint_files), trim)
        delete_index = self.max_history - trim
        if delete_index < 0 or len(self.checkpoint_files) <= delete_index:
            return
        for d in self.checkpoint_files[delete_index:]:
            os.remove(d[0])
        self.checkpoint_files = self.checkpoint_files[:delete_index]

    def log_artifact(self, filename, save_path):
        artifact = wandb.Artifact(filename, type="model")
        artifact.add_file(save_path)
        self.wandb_run.log_artifact(artifact)


def main(wandb_run, losses: list[float]) -> CheckpointSaver:
    model = np.zeros((4, 4), dtype=np.float32)
    saver = CheckpointSaver(
        model=model,
        config=Config,
        decreasing=True,
        wandb_run=wandb_run,
        max_history=Config["NUM_CHECKPOINTS"],
    )
    for epoch in range(Config["EPOCHS"]):
        model += 1.0  # "train_fn"
        avg_loss_eval = losses[epoch]  # "eval_fn"
        wandb.run.log({"epoch": epoch, "learning rate": Config["LR"], "evaluation loss": avg_loss_eval})
        saver.save_checkpoint(epoch, metric=avg_loss_eval)
    return saver


def upload_artifact_to_bucket(api, config, bucket: str) -> bool:
    """The notebook's ``upload_artifact_to_s3``: copy only when the digest changed."""
    artifact = api.artifact(f"{config['PROJECT']}/{config['FILENAME']}:{config['ALIAS']}")
    digest = artifact.digest
    with tempfile.TemporaryDirectory() as tmpdir:
        path = artifact.download(tmpdir)
        fname = os.listdir(path)[0]
        fpath = path + "/" + fname
        sidecar = os.path.join(bucket, fname + ".metadata.json")
        metadata = {"digest": -1}
        if os.path.exists(sidecar):
            with open(sidecar) as f:
                metadata = json.load(f)
        if metadata["digest"] != digest:
            os.makedirs(bucket, exist_ok=True)
            with open(fpath, "rb") as src, open(os.path.join(bucket, fname), "wb") as dst:
                dst.write(src.read())
            with open(sidecar, "w") as f:
                json.dump({"digest": digest}, f)
            return True
    return False


def test_artifacts_for_auditing_notebook() -> None:
    run = wandb.init(project=Config["PROJECT"], config=Config)
    wandb.config = Config
    saver = main(wandb_run=run, losses=[0.9, 0.7, 0.8, 0.4])
    run_id = run.id
    run.finish()

    # epoch 2 (0.8) beat the worst kept (0.9), epoch 3 beat the worst kept (0.8)
    assert [os.path.basename(p) for p, _ in saver.checkpoint_files] == [
        "checkpoint-3.pth.tar",
        "checkpoint-1.pth.tar",
    ]
    assert (saver.best_metric, saver.best_epoch) == (0.4, 3)
    assert not os.path.exists("checkpoint-0.pth.tar") and not os.path.exists("checkpoint-2.pth.tar")

    api = wandb.Api()
    logged = sorted(a.name for a in api.run(f"{Config['PROJECT']}/{run_id}").logged_artifacts())
    assert logged == [f"checkpoint-{e}.pth.tar:v0" for e in range(4)]
    stored_config = api.run(f"{Config['PROJECT']}/{run_id}").config
    assert stored_config["MODEL"] == "efficientnet_b3" and stored_config["NUM_CHECKPOINTS"] == 2
    for epoch in range(4):  # each version holds the checkpoint as it was when it was logged
        artifact = api.artifact(f"{Config['PROJECT']}/checkpoint-{epoch}.pth.tar:v0")
        with np.load(artifact.get_entry(f"checkpoint-{epoch}.pth.tar").download()) as saved:
            assert int(saved["epoch"]) == epoch
            assert float(saved["state_dict"][0, 0]) == epoch + 1.0

    bucket = os.path.abspath("bucket")
    assert upload_artifact_to_bucket(api, Config, bucket) is True
    assert sorted(os.listdir(bucket)) == ["checkpoint-1.pth.tar", "checkpoint-1.pth.tar.metadata.json"]
    assert upload_artifact_to_bucket(api, Config, bucket) is False  # same digest: nothing to do
    with np.load(os.path.join(bucket, "checkpoint-1.pth.tar")) as saved:
        assert int(saved["epoch"]) == 1
