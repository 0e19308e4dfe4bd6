"""``Artifact.files()``: the entries of a version, streamed from its manifest.

Iterating reads the stored manifest piece by piece (see ``wire.manifest_blocks``), so
listing a path prefix of a million-entry version decodes only that prefix's
lines and holds one entry at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from archivist.sdk.artifact_manifest import ArtifactManifestEntry

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact


class ArtifactFiles:
    """The files of an artifact, in path order (in ``names`` order when names are given).

    ``path_prefix`` keeps paths starting with that plain string (``"img"`` matches
    ``img/1.png`` and ``img2.png``), as ``download(path_prefix=)`` does. ``per_page`` is
    accepted for W&B compatibility; entries are streamed, not fetched in pages.
    """

    def __init__(
        self,
        artifact: Artifact,
        names: list[str] | None = None,
        per_page: int = 50,
        path_prefix: str | None = None,
    ) -> None:
        self._artifact = artifact
        self._names = None if names is None else list(names)
        self._per_page = per_page
        self._path_prefix = path_prefix or None

    def __iter__(self) -> Iterator[ArtifactManifestEntry]:
        artifact = self._artifact
        local = artifact.local_paths
        if self._names is None:
            with artifact.entries_in_order(self._path_prefix) as entries:
                for entry in entries:
                    yield ArtifactManifestEntry(entry, artifact, local.get(entry.path))
            return
        wanted = set(self._names)
        found = {}
        with artifact.entries_in_order(self._path_prefix) as entries:
            for entry in entries:
                if entry.path in wanted:
                    found[entry.path] = entry
        for name in self._names:
            hit = found.get(name)
            if hit is not None:
                yield ArtifactManifestEntry(hit, artifact, local.get(name))

    def __getitem__(self, index: int) -> ArtifactManifestEntry:
        """The entry at ``index`` in iteration order (reads the manifest up to it)."""
        if index < 0:
            return list(self)[index]
        found = next(itertools.islice(iter(self), index, None), None)
        if found is None:
            raise IndexError(f"index {index} is out of range: {self!r} has fewer entries")
        return found

    def __len__(self) -> int:
        if self._names is None and self._path_prefix is None:
            return self._artifact.file_count
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        where = f" under {self._path_prefix!r}" if self._path_prefix else ""
        return f"<ArtifactFiles of {self._artifact.name}{where}>"
