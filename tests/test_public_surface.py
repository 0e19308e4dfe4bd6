"""The public surface is pinned: changing it must be a deliberate act."""

import subprocess
import sys

import archivist

EXPECTED = {
    "Api",
    "ArchivistError",
    "Artifact",
    "ArtifactCollection",
    "ArtifactFinalizedError",
    "ArtifactManifest",
    "ArtifactManifestEntry",
    "ArtifactNotLoggedError",
    "ArtifactTTL",
    "ArtifactType",
    "CommError",
    "Error",
    "Run",
    "Settings",
    "UsageError",
    "WaitTimeoutError",
    "__version__",
    "config",
    "define_metric",
    "errors",
    "finish",
    "init",
    "log",
    "log_artifact",
    "run",
    "save",
    "summary",
    "use_artifact",
}


def test_all_is_pinned() -> None:
    assert set(archivist.__all__) == EXPECTED


def test_every_name_resolves() -> None:
    for name in archivist.__all__:
        if name not in ("run", "config", "summary"):
            assert getattr(archivist, name) is not None, name


def test_wandb_style_errors_module() -> None:
    import archivist.errors

    assert issubclass(archivist.errors.CommError, archivist.errors.Error)


def test_import_is_cheap() -> None:
    """`import archivist` must not pull in SQLAlchemy: scripts and the CLI start fast."""
    code = "import sys, archivist; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
