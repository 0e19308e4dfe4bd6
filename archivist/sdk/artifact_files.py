"""``Artifact.files()``: the entries of a version, streamed from its manifest.

Iterating reads the stored manifest piece by piece (see ``wire.manifest_blocks``), so
listing a path prefix of a million-entry version decodes only that prefix's
lines and holds one entry at a time. Each is an ``ArtifactFile``: a manifest entry that
is also W&B's public ``File`` (``name``, ``size``, ``url``, ``digest``, ``mimetype``,
``download(root=".", replace=False, exist_ok=False)``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from archivist.core.manifest import Entry
from archivist.sdk.artifact_manifest import ArtifactManifestEntry
from archivist.sdk.public_files import download_to, guess_mimetype

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact


@dataclass(frozen=True)
class FileAccess:
    """What a file of ``files()`` needs of its artifact, handed over by the artifact itself
    (so that neither reaches into the other's private attributes)."""

    url_of: Callable[[str], str]
    """The web UI's download of a path of the logged version."""
    require_download: Callable[[], None]
    """Raises ``DownloadRefusedError`` for a caller who may read the version's metadata only."""
    fetch: Callable[[Entry, str, bool], None]
    """Write an entry's bytes to a path (``skip_cache``)."""


class ArtifactFile(ArtifactManifestEntry):
    """An entry of ``artifact.files()``: a manifest entry that is also W&B's public ``File``."""

    def __init__(self, entry: Entry, artifact: Artifact, local_path: str | None, access: FileAccess) -> None:
        super().__init__(entry, artifact, local_path)
        self._access = access

    @property
    def name(self) -> str:
        return self.path

    @property
    def url(self) -> str | None:
        """The web UI's download of this file (None on a draft, or for a reference)."""
        if self.parent_artifact().is_draft() or self.ref is not None:
            return None
        return self._access.url_of(self.path)

    direct_url = url
    """W&B's signed storage URL; here the UI's download (``url``)."""

    @property
    def mimetype(self) -> str:
        return guess_mimetype(self.path)

    md5 = property(lambda self: None)
    """W&B's base64 MD5: Archivist records BLAKE3 digests instead (``digest``)."""

    def download(  # type: ignore[override]
        self,
        root: str | None = ".",
        replace: bool = False,
        exist_ok: bool = False,
        skip_cache: bool | None = None,
    ) -> IO[str]:
        """Write ``root/<name>`` (root defaults to the working folder, as W&B's ``File``)
        and return it opened; a file already there needs ``replace`` or ``exist_ok``."""
        self._access.require_download()

        def fetch(path: str) -> None:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._access.fetch(self._entry, path, bool(skip_cache))

        return download_to(self.path, root or ".", replace, exist_ok, fetch)


class ArtifactFiles:
    """The files of an artifact, in path order (in ``names`` order when names are given).

    ``path_prefix`` keeps paths starting with that plain string (``"img"`` matches
    ``img/1.png`` and ``img2.png``), as ``download(path_prefix=)`` does. ``per_page`` is
    accepted for W&B compatibility; entries are streamed, not fetched in pages.
    """

    def __init__(
        self,
        artifact: Artifact,
        access: FileAccess,
        names: list[str] | None = None,
        per_page: int = 50,
        path_prefix: str | None = None,
    ) -> None:
        self._artifact = artifact
        self._access = access
        self._names = None if names is None else list(names)
        self._per_page = per_page
        self._path_prefix = path_prefix or None

    def __iter__(self) -> Iterator[ArtifactFile]:
        artifact = self._artifact
        local = artifact.local_paths
        if self._names is None:
            with artifact.entries_in_order(self._path_prefix) as entries:
                for entry in entries:
                    yield ArtifactFile(entry, artifact, local.get(entry.path), self._access)
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
                yield ArtifactFile(hit, artifact, local.get(name), self._access)

    def __getitem__(self, index: int) -> ArtifactFile:
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
