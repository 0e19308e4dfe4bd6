"""What a user's process runs: runs, artifacts, the query API and the local caches.

Imports inside the package point down. The few calls that must go up (see
``upward_calls``) are set here, when the package is first imported: Python imports
this file before any module of the package, so they are set before they can be used.
"""

from archivist.sdk import artifact_collections, materialize, public_runs, session, upward_calls

upward_calls.collection = artifact_collections.ArtifactCollection
upward_calls.public_run = public_runs.PublicRun
upward_calls.save_draft = session.save_draft
upward_calls.fetch_entry = materialize.fetch_entry
upward_calls.link = session.link_existing
