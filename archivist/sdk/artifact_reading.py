"""Reading a logged artifact's files: entries, download, checkout, verify.
Mixed into ``Artifact``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from archivist.core.errors import DamagedBlobError, EntryNotFoundError, InvalidInputError
from archivist.core.manifest import Entry, Manifest
from archivist.core.models import VersionRecord
from archivist.core.registries import is_registry_project
from archivist.sdk.artifact_files import ArtifactFiles, FileAccess
from archivist.sdk.artifact_manifest import ArtifactManifestEntry
from archivist.sdk.context import Context
from archivist.sdk.damaged_files import check_linked_sizes, name_damaged_files
from archivist.sdk.draft_contents import DraftContents
from archivist.wire.ui_paths import absolute, artifact_file_url


def check_root_is_a_folder(root: str) -> None:
    """A download root must be a folder, or a path where one can be made: say so before
    anything is written, instead of a bare ``NotADirectoryError`` from deep inside."""
    probe = os.path.abspath(root)
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            return
        probe = parent
    if not os.path.isdir(probe):
        where = "is a file" if probe == os.path.abspath(root) else f"is below the file {probe!r}"
        raise InvalidInputError(
            f"cannot download into {root!r}: it {where}, not a folder; "
            "pass root= a folder (a missing one is created)"
        )


class ReadingMixin:
    _contents: DraftContents

    if TYPE_CHECKING:
        _record: VersionRecord | None

        @property
        def name(self) -> str: ...

        def _logged(self) -> VersionRecord: ...

        def _context(self) -> Context: ...

        def _current_manifest(self) -> Manifest: ...

        @property
        def manifest(self) -> Any: ...

    def _require_download(self) -> None:
        """A version reached through a registry where the caller is a restricted viewer
        reads as metadata only: its files are refused with ``DownloadRefusedError`` (a
        ``PermissionError``) naming the role needed. Anywhere else every reader downloads,
        and a draft reads its own files."""
        record = self._record
        if record is not None and is_registry_project(record.project):
            self._context().backend.check_download(record.id)

    def default_root(self) -> str:
        """Where ``download()`` puts the version without a ``root``: ``<artifact dir>/<name>-v<n>``."""
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
        link: bool = False,
        _only: list[str] | None = None,
    ) -> str:
        """Materialise the files under ``root`` (default ``./artifacts/<name>-vN``); returns root.

        Files already there with the right content are left alone; others are replaced
        (removed and written anew, never written through). ``link=True`` (an Archivist
        extension) makes each stored file a hard link to a read-only blob -- the embedded
        store's, or the client cache's for a server -- instead of a copy: much faster, no
        extra disk space, but the files are read-only and shared with the store (changing
        one in place would change the stored blob). Where linking is impossible (another
        filesystem) files are copied. A file whose stored blob is damaged (wrong digest, or
        in link mode wrong size) fails the download with ``DamagedBlobError`` naming it.
        """
        from archivist.sdk.materialize import destination, download_entries

        self._require_download()
        record = self._logged()
        version = f"{record.qualified_collection}:{record.version}"
        root = root or self.default_root()
        check_root_is_a_folder(root)
        manifest = self._current_manifest()
        entries = [manifest.entries[p] for p in _only] if _only else list(manifest)
        if path_prefix:
            entries = [e for e in entries if e.path.startswith(path_prefix)]
        context = self._context()
        try:
            download_entries(context, entries, root, bool(skip_cache), allow_missing_references, link=link)
        except DamagedBlobError as error:
            raise name_damaged_files(error, entries, version) from None
        if link:  # a link is not written, so nothing checked its size on the way
            stored = [entry for entry in entries if entry.ref is None]
            check_linked_sizes(stored, [destination(root, entry.path) for entry in stored], version)
        return root

    def checkout(self, root: str | None = None, link: bool = False) -> str:
        """Make ``root`` hold exactly this version: download (``link`` as for ``download``),
        then delete files not in it."""
        from archivist.sdk.materialize import remove_extra_files

        root = root or os.path.join(self._context().settings.artifact_dir, self._logged().collection)
        self.download(root=root, link=link)
        remove_extra_files(root, set(self._current_manifest().entries))
        return root

    def verify(self, root: str | None = None) -> None:
        """``ValueError`` unless ``root`` holds exactly this version's files with the right content
        and every reference still matches its source (checked with HEAD requests, nothing is
        downloaded); the message names each difference and each reference that drifted."""
        from archivist.sdk.materialize import verify_root

        verify_root(self._context(), self._current_manifest(), root or self.default_root())

    def file(self, root: str | None = None) -> str:
        self._require_download()
        manifest = self._current_manifest()
        if len(manifest) != 1:
            raise InvalidInputError(
                f"artifact {self.name!r} has {len(manifest)} files; file() needs exactly one "
                "(use download() instead)"
            )
        (entry,) = list(manifest)
        return ArtifactManifestEntry(entry, self).download(root)

    def files(
        self, names: list[str] | None = None, per_page: int = 50, path_prefix: str | None = None
    ) -> ArtifactFiles:
        """The artifact's entries, streamed from its manifest in path order (only ``names``,
        in that order, when given). ``path_prefix`` (an Archivist extension) keeps paths
        starting with that plain string, as for ``download``; a prefix of a huge version
        is listed without reading the rest of its manifest."""
        self._require_download()
        access = FileAccess(self._file_url, self._require_download, self._fetch_entry)
        return ArtifactFiles(self, access, names, per_page, path_prefix)

    def _file_url(self, path: str) -> str:
        """The web UI's download of ``path`` of this logged version."""
        return absolute(self._context().settings.base_url, artifact_file_url(self._logged(), path))

    def _fetch_entry(self, entry: Entry, path: str, skip_cache: bool) -> None:
        from archivist.sdk.materialize import fetch_replacing

        fetch_replacing(self._context(), entry, path, skip_cache)
