"""Reading a logged artifact's files: entries, download, checkout, verify.
Mixed into ``Artifact``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from archivist.core.errors import EntryNotFoundError, InvalidInputError
from archivist.core.manifest import Manifest
from archivist.core.models import VersionRecord
from archivist.sdk.context import Context
from archivist.sdk.draft import DraftContents
from archivist.sdk.entry import ArtifactManifestEntry


class ReadingMixin:
    _contents: DraftContents

    if TYPE_CHECKING:

        @property
        def name(self) -> str: ...

        def _logged(self) -> VersionRecord: ...

        def _context(self) -> Context: ...

        def _current_manifest(self) -> Manifest: ...

        @property
        def manifest(self) -> Any: ...

    def _default_root(self) -> str:
        record = self._logged()
        folder = f"{record.collection}-v{record.version_index}"
        return os.path.join(self._context().settings.artifact_dir, folder)

    def get_entry(self, name: str) -> ArtifactManifestEntry:
        manifest = self._current_manifest()
        entry = manifest.get(name)
        if entry is None:
            raise EntryNotFoundError(f"path {name!r} is not in artifact {self.name!r}")
        return ArtifactManifestEntry(entry, self, self._contents.local_paths.get(name))

    get_path = get_entry

    def download(
        self,
        root: str | None = None,
        allow_missing_references: bool = False,
        skip_cache: bool | None = None,
        path_prefix: str | None = None,
        multipart: bool | None = None,
        _only: list[str] | None = None,
    ) -> str:
        """Materialise the files under ``root`` (default ``./artifacts/<name>-vN``); returns root."""
        from archivist.sdk.materialize import download_entries

        self._logged()
        root = root or self._default_root()
        manifest = self._current_manifest()
        entries = [manifest.entries[p] for p in _only] if _only else list(manifest)
        if path_prefix:
            entries = [e for e in entries if e.path.startswith(path_prefix)]
        download_entries(self._context(), entries, root, bool(skip_cache), allow_missing_references)
        return root

    def checkout(self, root: str | None = None) -> str:
        """Make ``root`` hold exactly this version: download, then delete files not in it."""
        from archivist.sdk.materialize import remove_extra_files

        root = root or os.path.join(self._context().settings.artifact_dir, self._logged().collection)
        self.download(root=root)
        remove_extra_files(root, set(self._current_manifest().entries))
        return root

    def verify(self, root: str | None = None) -> None:
        """``ValueError`` unless ``root`` holds exactly this version's files with the right content
        and every reference still matches its source (checked with HEAD requests, nothing is
        downloaded); the message names each difference and each reference that drifted."""
        from archivist.sdk.materialize import verify_root

        verify_root(self._context(), self._current_manifest(), root or self._default_root())

    def file(self, root: str | None = None) -> str:
        manifest = self._current_manifest()
        if len(manifest) != 1:
            raise InvalidInputError(
                f"artifact {self.name!r} has {len(manifest)} files; file() needs exactly one "
                "(use download() instead)"
            )
        (entry,) = list(manifest)
        return ArtifactManifestEntry(entry, self).download(root)

    def files(self, names: list[str] | None = None, per_page: int = 50) -> list[ArtifactManifestEntry]:
        entries = self.manifest.entries
        if names is not None:
            return [entries[n] for n in names if n in entries]
        return list(entries.values())
