"""The few calls that go up between SDK modules, set by ``archivist/sdk/__init__.py``.

Imports inside ``sdk/`` point down: session -> run -> run_artifacts -> artifact, and
api -> public_runs -> run_artifacts. A logged version still leads up: to its collection
and to the runs that logged and used it; ``save()`` of a draft logs it in the session's
run; a reference to another artifact's entry is fetched like any entry of a download.
The lower modules make these calls through this module; the package sets them when it
is first imported, which happens before any module of it runs, so they are always set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archivist.core.manifest import Entry
    from archivist.core.models import CollectionRecord, RunRecord
    from archivist.sdk.artifact import Artifact
    from archivist.sdk.artifact_collections import ArtifactCollection
    from archivist.sdk.context import Context
    from archivist.sdk.public_runs import PublicRun

collection: Callable[[Context, CollectionRecord], ArtifactCollection]
"""``Artifact.collection``: the collection object for a stored collection record."""

public_run: Callable[[Context, RunRecord], PublicRun]
"""``Artifact.logged_by()`` / ``used_by()``: the query API's run for a stored run record."""

save_draft: Callable[[Artifact, str | None], None]
"""``Artifact.save()`` of a draft: log it in the active run, else in a new 'auto' run."""

link: Callable[[Artifact, str, list[str] | None, str | None], Artifact]
"""``Artifact.link()``: link a version into a registry collection (in the active run, if any)."""

fetch_entry: Callable[[Context, Entry, str, bool], None]
"""A reference to another artifact's entry: write that entry's bytes to a path."""
