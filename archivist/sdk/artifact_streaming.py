"""Reading a version's manifest as a stream: the entries under a prefix, the lines for a
diff, and ``diff()`` itself. Mixed into ``Artifact``.

A version logged in this process (or whose manifest was loaded) is read from memory;
any other is streamed from the store (see ``wire.manifest_blocks``), so listing a prefix or
diffing two million-entry versions never holds a whole manifest.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import Entry, Manifest, iter_manifest_entries
from archivist.core.manifest_diff import diff_lines
from archivist.core.manifest_reader import RawLine, iter_manifest_lines, lines_of_entries
from archivist.core.models import VersionRecord
from archivist.sdk.artifact_diff import ArtifactDiff
from archivist.sdk.context import Context
from archivist.sdk.manifest_io import manifest_blocks


class StreamingMixin:
    _record: VersionRecord | None
    _manifest: Manifest | None

    if TYPE_CHECKING:

        @property
        def name(self) -> str: ...

        def _context(self) -> Context: ...

        def _current_manifest(self) -> Manifest: ...

    @contextlib.contextmanager
    def entries_in_order(self, path_prefix: str | None = None) -> Iterator[Iterator[Entry]]:
        """The entries in path order (only those under ``path_prefix``): from memory when the
        manifest is loaded (a draft, a version logged here), else streamed from the store."""
        if self._record is None or self._manifest is not None:
            yield self._current_manifest().iter_prefix(path_prefix)
            return
        with manifest_blocks(self._context().transfer, self._record) as blocks:
            yield iter_manifest_entries(blocks, path_prefix)

    @contextlib.contextmanager
    def _manifest_lines(self) -> Iterator[Iterator[RawLine]]:
        """The manifest's lines in path order (see ``core.manifest_reader``), for a diff."""
        if self._record is None or self._manifest is not None:
            yield lines_of_entries(self._current_manifest().sorted_entries())
            return
        with manifest_blocks(self._context().transfer, self._record) as blocks:
            yield iter_manifest_lines(blocks)

    def diff(self, other: StreamingMixin) -> ArtifactDiff:
        """What changed from ``other`` to this artifact (an Archivist extension): the paths
        added, removed and changed (digest or reference differs), with sizes. Both manifests
        are merged as streams in path order, so only the differences are held in memory."""
        if not isinstance(other, StreamingMixin):
            raise InvalidInputError(f"diff() compares two artifacts, got {type(other).__name__}")
        mine, theirs = self._record, other._record
        if mine is not None and theirs is not None and mine.manifest_digest == theirs.manifest_digest:
            return ArtifactDiff(other.name, self.name, itertools.repeat(None, mine.file_count))
        with other._manifest_lines() as old, self._manifest_lines() as new:
            return ArtifactDiff(other.name, self.name, diff_lines(old, new))
