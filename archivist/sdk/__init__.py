"""What a user's process runs: runs, artifacts, the query API and the local caches.

Imports inside the package point down. The few calls that must go up (see
``upward_calls``) are set here, when the package is first imported: Python imports
this file before any module of the package, so they are set before they can be used.
The query API's runs and downloads are imported at their first call: a process that
only logs never loads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist.sdk import artifact_collections, session, upward_calls

if TYPE_CHECKING:
    from archivist.core.manifest import Entry
    from archivist.core.models import RunRecord
    from archivist.sdk.context import Context
    from archivist.sdk.public_runs import PublicRun


def _public_run(ctx: Context, record: RunRecord) -> PublicRun:
    from archivist.sdk.public_runs import PublicRun

    return PublicRun(ctx, record)


def _fetch_entry(ctx: Context, entry: Entry, path: str, skip_cache: bool) -> None:
    from archivist.sdk.materialize import fetch_entry

    fetch_entry(ctx, entry, path, skip_cache)


upward_calls.collection = artifact_collections.ArtifactCollection
upward_calls.public_run = _public_run
upward_calls.save_draft = session.save_draft
upward_calls.fetch_entry = _fetch_entry
upward_calls.link = session.link_existing
