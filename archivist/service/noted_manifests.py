"""Summaries of manifests this process stored itself, handed to their commit.

Committing a version reads its manifest back from the store to check it and to
learn its blobs, size and entry count. When the SDK runs in the same process as
the service (the embedded store), it has just built that manifest and stored it
through this very service, so it can hand over what the commit would learn and
save a full read and parse of the manifest. A server never gets here: its
clients' manifests are always read back.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from archivist.core.manifest import ManifestSummary

NOTED_LIMIT = 8
"""Summaries kept at most (one per save in flight; older ones are dropped)."""


class NotedManifests:
    """``manifest digest -> ManifestSummary`` for the few saves in flight in this process."""

    def __init__(self, limit: int = NOTED_LIMIT) -> None:
        self._summaries: OrderedDict[str, ManifestSummary] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def note(self, manifest_digest: str, summary: ManifestSummary) -> None:
        with self._lock:
            self._summaries[manifest_digest] = summary
            self._summaries.move_to_end(manifest_digest)
            while len(self._summaries) > self._limit:
                self._summaries.popitem(last=False)

    def take(self, manifest_digest: str) -> ManifestSummary | None:
        """The summary noted for ``manifest_digest``, forgotten once taken."""
        with self._lock:
            return self._summaries.pop(manifest_digest, None)
