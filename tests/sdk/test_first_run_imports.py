"""A first run imports only what logging into the embedded store needs (issue 17 point 6):
the import is most of what a newcomer's first small log waits for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

NOT_NEEDED_TO_LOG = [
    "sqlalchemy.dialects.postgresql",  # the embedded store is SQLite
    "psycopg",
    "alembic",  # a new store is created at its head revision
    "sqlalchemy.orm",  # the service is SQLAlchemy Core
    "archivist.server",
    "fastapi",
    "uvicorn",
    "jinja2",
    "archivist.client.http",
    "httpx",
    "obstore",
    "archivist.storage.object_store",
    "archivist.sdk.references.s3",  # reference handlers load with their first reference
    "archivist.sdk.references.gcs",
    "archivist.sdk.references.azure",
    "archivist.sdk.references.http",
    "archivist.sdk.materialize",  # downloads
    "archivist.sdk.public_runs",  # the query API's runs
    "archivist.sdk.api",
    "archivist.sdk.data_types",  # tables and media
    "archivist.sdk.plots",
    "pandas",
    "numpy",
    "PIL",
    "rich",
    "click",
    "archivist.cli",
]

FIRST_LOG = """
import json, sys
import archivist
with archivist.init(project="first") as run:
    artifact = archivist.Artifact("data", type="dataset")
    artifact.add_dir(sys.argv[1])
    logged = run.log_artifact(artifact)
logged.wait()
print(json.dumps([logged.version, sorted(sys.modules)]))
"""


def test_a_first_log_into_a_new_embedded_store_imports_only_what_it_needs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    for i in range(3):
        (data / "sub" / f"f{i}.txt").write_text(f"file {i}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "WANDB_"))}
    env.update(ARCHIVIST_DIR=str(tmp_path / "store"), ARCHIVIST_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-c", FIRST_LOG, str(data)], env=env, capture_output=True, text=True, check=True
    )
    version, modules = json.loads(result.stdout.strip().splitlines()[-1])
    assert version == "v0"
    loaded = {
        name
        for name in modules
        for heavy in NOT_NEEDED_TO_LOG
        if name == heavy or name.startswith(heavy + ".")
    }
    assert sorted(loaded) == []
