"""``artifact.add(obj, name)`` and ``artifact.get(name)``: tables and media inside an
artifact, in W&B's layout (``<name>.<type>.json`` with sorted keys, media under
``media/``). Mixed into ``Artifact``.

Reading fetches only the files the JSON names (the JSON itself, its media, its
array files) in one download, rather than the whole artifact as W&B does.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from archivist.sdk.artifact_manifest import ArtifactManifestEntry

if TYPE_CHECKING:
    from archivist.core.manifest import Manifest
    from archivist.core.models import VersionRecord
    from archivist.sdk.context import Context
    from archivist.sdk.data_types.wb_value import WBValue


def with_suffix(name: str, log_type: str) -> str:
    suffix = f".{log_type}.json"
    return name if name.endswith(suffix) else name + suffix


def _named_paths(doc: Any, found: set[str]) -> None:
    """Every string under a ``"path"`` key (media, masks, classes, array files)."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "path" and isinstance(value, str):
                found.add(value)
            else:
                _named_paths(value, found)
    elif isinstance(doc, list):
        for item in doc:
            _named_paths(item, found)


class _FetchedEntry:
    def __init__(self, source: _FetchedSource, path: str) -> None:
        self._source = source
        self.path = path

    def download(self, root: str | None = None) -> str:
        return self._source.local_path(self.path)


class _FetchedSource:
    """The artifact as ``from_json`` sees it: entries already fetched under ``root``
    resolve to their local file; others are fetched on demand."""

    def __init__(self, artifact: MediaMixin, root: str, fetched: set[str]) -> None:
        self._artifact = artifact
        self._root = root
        self._fetched = fetched
        self.manifest = artifact.manifest
        self.aliases = artifact.aliases

    def local_path(self, path: str) -> str:
        if path not in self._fetched:
            self._artifact.download(root=self._root, _only=[path])
            self._fetched.add(path)
        return os.path.join(self._root, *path.split("/"))

    def get_entry(self, name: str) -> _FetchedEntry:
        self._artifact.get_entry(name)  # EntryNotFoundError for a name not in the artifact
        return _FetchedEntry(self, name)

    def get(self, name: str) -> Any:
        return self._artifact.get(name)


class MediaMixin:
    if TYPE_CHECKING:

        @property
        def name(self) -> str: ...

        @property
        def manifest(self) -> Any: ...

        @property
        def aliases(self) -> list[str]: ...

        @property
        def context(self) -> Context: ...

        def add_reference(
            self, uri: Any, name: str | None = None, checksum: bool = True, max_objects: int | None = None
        ) -> list[ArtifactManifestEntry]: ...

        def _ensure_draft(self) -> None: ...

        def _logged(self) -> VersionRecord: ...

        def _current_manifest(self) -> Manifest: ...

        def default_root(self) -> str: ...

        def get_entry(self, name: str) -> ArtifactManifestEntry: ...

        def add_file(
            self,
            local_path: str,
            name: str | None = None,
            is_tmp: bool = False,
            skip_cache: bool = False,
            policy: str = "mutable",
            overwrite: bool = False,
        ) -> ArtifactManifestEntry: ...

        def download(
            self,
            root: str | None = None,
            allow_missing_references: bool = False,
            skip_cache: bool | None = None,
            path_prefix: str | None = None,
            multipart: bool | None = None,
            link: bool = False,
            _only: list[str] | None = None,
        ) -> str: ...

    def add(self, obj: WBValue, name: str, overwrite: bool = False) -> ArtifactManifestEntry:
        """Store a table or media object as ``<name>.<type>.json`` plus its files.
        As in W&B, adding the same object twice, or anything at a name already taken
        (without ``overwrite=True``), returns the entry already there."""
        from archivist.sdk.data_types.wb_value import WBValue, media_tmp_path

        self._ensure_draft()
        if not isinstance(obj, WBValue):
            kinds = ", ".join(sorted(WBValue.type_mapping()))
            raise TypeError(
                f"artifact.add takes a table or media object ({kinds}), got {type(obj).__name__}; "
                "use add_file/add_dir for files"
            )
        added: dict[int, tuple[WBValue, ArtifactManifestEntry]] = self.__dict__.setdefault(
            "_added_objects", {}
        )
        if id(obj) in added and not overwrite:
            return added[id(obj)][1]
        name = with_suffix(name, obj._log_type)
        existing = self._current_manifest().get(name)
        if existing is not None and not overwrite:  # W&B keeps what is there
            return ArtifactManifestEntry(existing, self)  # type: ignore[arg-type]
        source = obj._artifact_source
        if source is not None:  # unchanged since artifact.get(): a reference to that entry
            (entry,) = self.add_reference(source[0].get_entry(source[1]), name=name)
            added[id(obj)] = (obj, entry)
            return entry
        path = media_tmp_path(os.path.basename(name))
        document = obj.to_json(self)  # type: ignore[arg-type]
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(document, handle, sort_keys=True, allow_nan=False)
        entry = self.add_file(path, name=name, overwrite=overwrite)
        added[id(obj)] = (obj, entry)
        return entry

    def get(self, name: str) -> WBValue | None:
        """The table or media object stored at ``name`` (``<name>.<type>.json`` is found
        too); None when the artifact has no such entry."""
        from archivist.sdk.data_types.wb_value import WBValue, known_log_types

        self._logged()
        entries = self._current_manifest().entries
        candidates = [name] + [with_suffix(name, t) for t in known_log_types()]
        path = next((c for c in candidates if c in entries and c.endswith(".json")), None)
        if path is None:
            return None
        target = entries[path].ref
        if target is not None and target.startswith("wandb-artifact://"):
            return self._referenced(target)  # read where it lives, its media beside it
        root = self.default_root()
        self.download(root=root, _only=[path])
        with open(os.path.join(root, *path.split("/")), encoding="utf-8") as handle:
            document = json.load(handle)
        wanted: set[str] = set()
        _named_paths(document, wanted)
        fetch = sorted(p for p in wanted if p in entries)
        if fetch:
            self.download(root=root, _only=fetch)
        source = _FetchedSource(self, root, {path, *fetch})
        if not isinstance(document, dict):
            return None
        value = WBValue.init_from_json(document, source)
        if value is not None:
            value._artifact_source = (self, path)
        return value

    def _referenced(self, uri: str) -> WBValue | None:
        """The object an entry of another artifact holds (``wandb-artifact://<id>/<path>``)."""
        from archivist.sdk.references.artifact import parse_artifact_ref

        version_id, path = parse_artifact_ref(uri)
        ctx = self.context
        target: MediaMixin = type(self).from_record(ctx, ctx.backend.get_version(version_id))  # type: ignore[attr-defined]
        return target.get(path)

    def __getitem__(self, name: str) -> WBValue | None:
        return self.get(name)

    def __setitem__(self, name: str, item: WBValue) -> ArtifactManifestEntry:
        return self.add(item, name)
