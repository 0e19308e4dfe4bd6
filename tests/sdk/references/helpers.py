"""Small helpers shared by the reference tests."""

from __future__ import annotations

from collections.abc import Callable

import archivist
from archivist.sdk.artifact import Artifact


def log_with(add: Callable[[Artifact], object], name: str = "refs") -> Artifact:
    """Log an artifact whose references ``add`` puts in the draft; return the committed version."""
    with archivist.init(project="refs") as run:
        draft = archivist.Artifact(name, type="dataset")
        add(draft)
        return run.log_artifact(draft).wait()


def entries_by_path(artifact: Artifact) -> dict[str, object]:
    return dict(artifact.manifest.entries)
