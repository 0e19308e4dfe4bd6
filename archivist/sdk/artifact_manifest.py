"""The user-facing manifest and manifest entry (W&B's ArtifactManifest and
ArtifactManifestEntry), thin views over ``core.manifest`` bound to an artifact."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from archivist.core.manifest import Entry, Manifest

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact


class ArtifactManifestEntry:
    """One file or reference of an artifact."""

    def __init__(self, entry: Entry, artifact: Artifact | None = None, local_path: str | None = None) -> None:
        self._entry = entry
        self._artifact = artifact
        self.local_path = local_path
        self.skip_cache = False

    @property
    def path(self) -> str:
        return self._entry.path

    @property
    def digest(self) -> str:
        return self._entry.digest

    @property
    def size(self) -> int:
        return self._entry.size

    @property
    def ref(self) -> str | None:
        return self._entry.ref

    @property
    def extra(self) -> Mapping[str, Any]:
        return self._entry.extra

    @property
    def birth_artifact_id(self) -> str | None:
        return self._entry.birth_artifact_id

    def ref_target(self) -> str:
        """The external URI of a reference entry."""
        if self._entry.ref is None:
            raise ValueError(f"entry {self.path!r} is not a reference")
        return self._entry.ref

    def ref_url(self) -> str:
        """``wandb-artifact://<artifact id>/<path>``: how another artifact can refer to this entry."""
        artifact = self.parent_artifact()
        return f"wandb-artifact://{artifact.id}/{self.path}"

    def parent_artifact(self) -> Artifact:
        if self._artifact is None:
            raise ValueError(f"entry {self.path!r} is not bound to an artifact")
        return self._artifact

    def download(self, root: str | None = None, skip_cache: bool | None = None) -> str:
        """Download just this entry under ``root`` and return the file's path."""
        artifact = self.parent_artifact()
        root = root or artifact.default_root()
        artifact.download(root=root, skip_cache=skip_cache, path_prefix=None, _only=[self.path])
        return os.path.join(root, self.path)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArtifactManifestEntry):
            return self._entry == other._entry
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._entry)

    def __repr__(self) -> str:
        ref = f", ref={self.ref!r}" if self.ref else ""
        return (
            f"ArtifactManifestEntry(path={self.path!r}, digest={self.digest[:12]!r}, size={self.size}{ref})"
        )


class ArtifactManifest:
    """The entries of an artifact, keyed by logical path."""

    def __init__(self, manifest: Manifest, artifact: Artifact | None = None) -> None:
        self._manifest = manifest
        self._artifact = artifact

    @property
    def entries(self) -> dict[str, ArtifactManifestEntry]:
        local = self._artifact.local_paths if self._artifact is not None else {}
        return {
            path: ArtifactManifestEntry(entry, self._artifact, local.get(path))
            for path, entry in self._manifest.entries.items()
        }

    def get_entry_by_path(self, path: str) -> ArtifactManifestEntry | None:
        entry = self._manifest.get(path)
        return None if entry is None else ArtifactManifestEntry(entry, self._artifact)

    def digest(self) -> str:
        return self._manifest.digest()

    def __len__(self) -> int:
        return len(self._manifest)

    def __iter__(self) -> Iterator[str]:
        return iter(self._manifest.entries)

    def to_manifest_json(self) -> dict[str, Any]:
        """The manifest in W&B's v1 JSON layout (``{"version": 1, "contents": {...}}``)."""
        return self._manifest.to_json_document()
