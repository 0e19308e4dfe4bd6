"""The base of every table and media type: how a value becomes W&B's JSON inside an
artifact and comes back from it.

``to_json(artifact)`` returns the dict W&B writes (``_type`` plus the fields of that
type) and adds any file the value needs to the artifact; ``from_json(obj, source)``
rebuilds the value from that dict, fetching files through ``source.get_entry(path)``.
Media files are written to one process-wide temporary folder (as W&B's ``MEDIA_TMP``)
that lives until the process ends, so a draft can still upload them when it is logged.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from typing import Any, ClassVar, Protocol

_TYPES: dict[str, type[WBValue]] = {}
_tmp_lock = threading.Lock()
_tmp_dir: tempfile.TemporaryDirectory[str] | None = None


class ArtifactTarget(Protocol):
    """What ``to_json`` needs from the artifact draft it writes into."""

    def add_file(self, local_path: str, name: str | None = ...) -> Any: ...

    def add(self, obj: Any, name: str, overwrite: bool = ...) -> Any: ...

    def get_added_local_path_name(self, local_path: str) -> str | None: ...


class ArtifactSource(Protocol):
    """What ``from_json`` needs from the artifact it reads (an Archivist or W&B artifact)."""

    def get_entry(self, name: str) -> Any: ...

    def get(self, name: str) -> Any: ...


def media_tmp_path(name: str) -> str:
    """A fresh path for a generated media file (the folder is removed when the process ends)."""
    global _tmp_dir
    with _tmp_lock:
        if _tmp_dir is None:
            _tmp_dir = tempfile.TemporaryDirectory(prefix="archivist-media-")
        folder = tempfile.mkdtemp(dir=_tmp_dir.name)
    return os.path.join(folder, name)


def write_tmp_bytes(name: str, data: bytes) -> str:
    path = media_tmp_path(name)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class WBValue:
    """A value W&B knows how to store: ``_log_type`` names it in JSON (``"_type"``)."""

    _log_type: ClassVar[str] = ""
    _artifact_source: tuple[Any, str] | None = None
    """(artifact, entry path) of a value read with ``artifact.get`` and not changed since:
    adding it to another artifact stores a reference to that entry, as W&B does."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_log_type"):
            _TYPES[cls._log_type] = cls

    def to_json(self, artifact: ArtifactTarget) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> WBValue:
        raise NotImplementedError

    @staticmethod
    def init_from_json(json_obj: dict[str, Any], source_artifact: ArtifactSource) -> WBValue | None:
        """The value a W&B JSON dict describes, or None when its ``_type`` is unknown."""
        cls = _TYPES.get(str(json_obj.get("_type")))
        return None if cls is None else cls.from_json(json_obj, source_artifact)

    @staticmethod
    def type_mapping() -> dict[str, type[WBValue]]:
        return dict(_TYPES)


def known_log_types() -> list[str]:
    """Every ``_type`` an artifact entry ``<name>.<type>.json`` may have."""
    return list(_TYPES)


class Media(WBValue):
    """A value stored as a file of its own beside the JSON that points to it."""

    _media_subdir: ClassVar[str] = "media"

    def __init__(self, caption: str | None = None) -> None:
        self._caption = caption
        self._path: str | None = None
        self._is_tmp = False
        self._sha256: str | None = None
        self._size: int | None = None
        self._extension: str | None = None

    @classmethod
    def get_media_subdir(cls) -> str:
        return cls._media_subdir

    def _set_file(self, path: str, is_tmp: bool = False, extension: str | None = None) -> None:
        self._path = path
        self._is_tmp = is_tmp
        self._extension = extension
        self._sha256 = file_sha256(path)
        self._size = os.path.getsize(path)

    def file_is_set(self) -> bool:
        return self._path is not None and self._sha256 is not None

    @property
    def caption(self) -> str | None:
        return self._caption

    @property
    def path(self) -> str | None:
        """The local file holding this value's bytes."""
        return self._path

    def _entry_name(self) -> str:
        """Where the file goes in an artifact: a generated file is named by its content
        (the same bytes land once), a user's file keeps its name under a content folder."""
        assert self._path is not None and self._sha256 is not None
        base = os.path.basename(self._path)
        if self._is_tmp:
            extension = self._extension or os.path.splitext(base)[1]
            return f"{self._media_subdir}/{self._sha256[:20]}{extension}"
        return f"{self._media_subdir}/{self._sha256[:20]}/{base}"

    def to_json(self, artifact: ArtifactTarget) -> dict[str, Any]:
        json_obj: dict[str, Any] = {}
        if self._caption is not None:
            json_obj["caption"] = self._caption
        if self.file_is_set():
            assert self._path is not None
            name = artifact.get_added_local_path_name(self._path)
            if name is None:
                name = artifact.add_file(self._path, name=self._entry_name()).path
            json_obj["path"] = name
            json_obj["sha256"] = self._sha256
        json_obj["_type"] = self._log_type
        return json_obj

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> WBValue:
        media = cls()
        media._set_file(source_artifact.get_entry(json_obj["path"]).download())
        return media

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, self.__class__) and self._sha256 is not None and self._sha256 == other._sha256
        )

    def __hash__(self) -> int:
        return hash((self.__class__.__name__, self._sha256))


def optional_module(name: str, purpose: str) -> Any:
    """Import an optional package, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        package = {"PIL": "pillow"}.get(name, name)
        raise ImportError(
            f"{purpose} needs the {package!r} package: "
            f"pip install 'archivist[media]' (or pip install {package})"
        ) from None
