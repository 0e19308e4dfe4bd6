"""A W&B script runs unchanged but for its import line."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wandb_style_example_runs(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ARCHIVIST_DIR": str(tmp_path / "home"),
        "ARCHIVIST_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(REPO),
    }
    out = subprocess.run(
        [sys.executable, str(REPO / "examples" / "wandb_style_pipeline.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "local/mnist/mnist-pre:v0 v0 ['candidate', 'latest'] ['v2-pipeline']"
    assert lines[1] == "made by preprocess from ['mnist-raw:v0']"
    assert len(os.listdir(tmp_path / "artifacts" / "mnist-raw-v0")) == 10
