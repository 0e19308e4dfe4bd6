"""Editing an artifact draft: adding files, folders, new files and references,
and removing entries. Mixed into ``Artifact``; every method refuses once the
artifact is logged."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO, TYPE_CHECKING, Any

from archivist.core.errors import ArtifactFinalizedError, InvalidInputError
from archivist.core.progress import Progress
from archivist.sdk.artifact_manifest import ArtifactManifestEntry
from archivist.sdk.draft_contents import DraftContents, to_logical
from archivist.sdk.references import DEFAULT_MAX_OBJECTS, handler_for
from archivist.sdk.references.artifact import reference_to_entry
from archivist.sdk.termlog import termlog, termwarn, transfer_progress

_POLICIES = ("mutable", "immutable")
_BAR_MIN_BYTES = 32 << 20
"""``add_dir`` of fewer bytes shows no bar (it is over before one would be read)."""


class DraftEditingMixin:
    _contents: DraftContents
    _final: bool
    incremental: bool
    _tmp_dir: tempfile.TemporaryDirectory[str] | None

    if TYPE_CHECKING:

        @property
        def name(self) -> str: ...

    def _ensure_draft(self) -> None:
        if self._final:
            raise ArtifactFinalizedError(
                f"artifact {self.name!r} is finalized: its files cannot change after logging; "
                "use artifact.new_draft() to make the next version"
            )

    def add_file(
        self,
        local_path: str,
        name: str | None = None,
        is_tmp: bool = False,
        skip_cache: bool = False,
        policy: str = "mutable",
        overwrite: bool = False,
    ) -> ArtifactManifestEntry:
        """Add one file. ``policy="mutable"`` (the default): the artifact holds the file's
        bytes as they are now (kept in memory, in the store, or in the client cache until
        uploaded); changing or deleting the file afterwards does not affect the log.
        ``"immutable"``: you promise the file will not change until it is logged; no copy
        is kept, and a change before the upload fails the log naming the file."""
        self._ensure_draft()
        entry = self._contents.add_file(local_path, name, is_tmp, overwrite, _is_mutable(policy))
        return ArtifactManifestEntry(entry, self, self._contents.local_paths.get(entry.path))

    def add_dir(
        self,
        local_path: str,
        name: str | None = None,
        skip_cache: bool = False,
        policy: str = "mutable",
        merge: bool = False,
    ) -> None:
        """Add every file under ``local_path`` (see ``add_file`` for ``policy``); a bar shows
        the bytes digested on a terminal."""
        self._ensure_draft()
        mutable = _is_mutable(policy)
        started = time.monotonic()
        with ExitStack() as bars:

            def progress(total_bytes: int) -> Progress:
                if total_bytes < _BAR_MIN_BYTES:
                    return _ignore
                label = f"Adding {os.path.basename(os.path.normpath(local_path)) or local_path}"
                return bars.enter_context(transfer_progress(label, total_bytes))

            count = self._contents.add_dir(local_path, name, merge, mutable, progress)
        elapsed = time.monotonic() - started
        if count == 0:
            termwarn(f"folder {local_path!r} holds no files: add_dir added nothing")
        if elapsed > 2:
            termlog(f"Added directory {local_path} ({count} files) in {elapsed:.1f}s")

    @contextlib.contextmanager
    def new_file(
        self, name: str, mode: str = "x", encoding: str | None = None, policy: str = "mutable"
    ) -> Iterator[IO[Any]]:
        """Write a new file into the artifact; it is added at ``name`` when the block ends."""
        self._ensure_draft()
        mutable = _is_mutable(policy)
        logical = to_logical(name)
        overwrite = "x" not in mode
        if not overwrite and logical in self._contents.manifest:
            raise InvalidInputError(f"File with name {logical!r} already exists in the artifact")
        self._contents.check_new_path(logical)
        if self._tmp_dir is None:
            self._tmp_dir = tempfile.TemporaryDirectory(prefix="archivist-new-file-")
        path = os.path.join(self._tmp_dir.name, *logical.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        file_mode = mode.replace("x", "w") if "x" in mode else mode
        if "b" not in file_mode and encoding is None:
            encoding = "utf-8"
        with open(path, file_mode, encoding=encoding) as handle:
            yield handle
        self._contents.add_file(path, logical, is_tmp=False, overwrite=True, mutable=mutable)

    def add_reference(
        self,
        uri: str | ArtifactManifestEntry,
        name: str | None = None,
        checksum: bool = True,
        max_objects: int | None = None,
    ) -> list[ArtifactManifestEntry]:
        """Track data that stays where it is: ``file://``, ``s3://``, ``gs://``, Azure blob
        and ``http(s)://`` URIs (a prefix or folder adds every object under it), or an
        entry of another logged artifact. Nothing is uploaded."""
        self._ensure_draft()
        ctx = None
        if isinstance(uri, ArtifactManifestEntry):
            target = uri.parent_artifact()
            uri = reference_to_entry(target.id, uri.path, target.name)
            ctx = target.context
        if not isinstance(uri, str):
            raise InvalidInputError(
                f"reference must be a URI string or an ArtifactManifestEntry, got {type(uri).__name__}"
            )
        limit = DEFAULT_MAX_OBJECTS if max_objects is None else max_objects
        if limit < 1:
            raise InvalidInputError(f"max_objects must be at least 1, got {max_objects}")
        prefix = to_logical(name) if name else None
        entries = handler_for(uri, ctx).store(uri, prefix, checksum, limit)
        self._contents.add_entries(entries)
        return [ArtifactManifestEntry(e, self) for e in entries]

    def remove(self, item: str | ArtifactManifestEntry) -> None:
        self._ensure_draft()
        path = item.path if isinstance(item, ArtifactManifestEntry) else item
        self._contents.remove(path, from_base=self.incremental)

    def get_added_local_path_name(self, local_path: str) -> str | None:
        return self._contents.added_path_name(local_path)


def _is_mutable(policy: str) -> bool:
    if policy not in _POLICIES:
        raise InvalidInputError(f"invalid policy {policy!r}: use 'mutable' or 'immutable'")
    return policy == "mutable"


def _ignore(_count: int) -> None:
    pass
