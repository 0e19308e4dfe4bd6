"""Archivist: versioned datasets and models with lineage, W&B-Artifacts compatible.

    import archivist as wandb

    with wandb.init(project="mnist", job_type="train") as run:
        data = run.use_artifact("mnist-raw:latest").download()
        model = wandb.Artifact("mnist-model", type="model")
        model.add_file("model.pt")
        run.log_artifact(model, aliases=["candidate"])

Names are loaded on first use, so ``import archivist`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, tuple[str, str]] = {
    "Api": ("archivist.sdk.api", "Api"),
    "ArtifactCollection": ("archivist.sdk.artifact_collections", "ArtifactCollection"),
    "ArtifactType": ("archivist.sdk.artifact_collections", "ArtifactType"),
    "Artifact": ("archivist.sdk.artifact", "Artifact"),
    "ArtifactTTL": ("archivist.sdk.artifact", "ArtifactTTL"),
    "Retention": ("archivist.sdk.lifecycle", "Retention"),
    "ArtifactManifest": ("archivist.sdk.artifact_manifest", "ArtifactManifest"),
    "ArtifactManifestEntry": ("archivist.sdk.artifact_manifest", "ArtifactManifestEntry"),
    "Run": ("archivist.sdk.run", "Run"),
    "Settings": ("archivist.sdk.wandb_settings", "Settings"),
    "init": ("archivist.sdk.session", "init"),
    "finish": ("archivist.sdk.session", "finish"),
    "log": ("archivist.sdk.session", "log"),
    "save": ("archivist.sdk.session", "save"),
    "define_metric": ("archivist.sdk.session", "define_metric"),
    "log_artifact": ("archivist.sdk.session", "log_artifact"),
    "use_artifact": ("archivist.sdk.session", "use_artifact"),
    "link_artifact": ("archivist.sdk.session", "link_artifact"),
    "log_model": ("archivist.sdk.session", "log_model"),
    "use_model": ("archivist.sdk.session", "use_model"),
    "link_model": ("archivist.sdk.session", "link_model"),
    "login": ("archivist.sdk.login", "login"),
    "ArchivistError": ("archivist.core.errors", "ArchivistError"),
    "Error": ("archivist.core.errors", "ArchivistError"),
    "ArtifactFinalizedError": ("archivist.core.errors", "ArtifactFinalizedError"),
    "ArtifactNotLoggedError": ("archivist.core.errors", "ArtifactNotLoggedError"),
    "CommError": ("archivist.core.errors", "CommError"),
    "UsageError": ("archivist.core.errors", "UsageError"),
    "WaitTimeoutError": ("archivist.core.errors", "WaitTimeoutError"),
    # tables and media (W&B's top-level names; the rest are in archivist.data_types)
    "Audio": ("archivist.sdk.data_types", "Audio"),
    "Classes": ("archivist.sdk.data_types", "Classes"),
    "Histogram": ("archivist.sdk.data_types", "Histogram"),
    "Html": ("archivist.sdk.data_types", "Html"),
    "Image": ("archivist.sdk.data_types", "Image"),
    "JoinedTable": ("archivist.sdk.data_types", "JoinedTable"),
    "Molecule": ("archivist.sdk.data_types", "Molecule"),
    "Object3D": ("archivist.sdk.data_types", "Object3D"),
    "Table": ("archivist.sdk.data_types", "Table"),
    "Video": ("archivist.sdk.data_types", "Video"),
    # charts (W&B's wandb.plot_table; the presets are in archivist.plot)
    "plot_table": ("archivist.sdk.plots", "plot_table"),
}

# The current run's objects: they change with every init()/finish().
_DYNAMIC = {"run": "current_run", "config": "current_config", "summary": "current_summary"}

_MODULES = {"errors": "archivist.errors", "data_types": "archivist.data_types", "plot": "archivist.plot"}

__all__ = sorted([*_EXPORTS, *_DYNAMIC, *_MODULES, "api", "__version__"])


def __getattr__(name: str) -> Any:
    if name == "api":  # W&B's ``wandb.api``: a query API for the current settings
        return importlib.import_module("archivist.sdk.api").Api()
    if name in _DYNAMIC:
        session = importlib.import_module("archivist.sdk.session")
        return getattr(session, _DYNAMIC[name])()
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'archivist' has no attribute {name!r}")
    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
