"""What names and describes an artifact: its name, version, entity and project, type,
state, digest, size and file count, times, web page and manifest; for a draft, what it
holds so far. Mixed into ``Artifact``; read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist.core.manifest import Manifest
from archivist.core.models import VersionRecord, VersionState
from archivist.sdk.artifact_manifest import ArtifactManifest
from archivist.sdk.context import Context
from archivist.sdk.draft_contents import DraftContents
from archivist.wire.ui_paths import absolute, version_url


class IdentityMixin:
    _collection_name: str
    _type: str
    _record: VersionRecord | None
    _contents: DraftContents

    if TYPE_CHECKING:

        def _context(self) -> Context: ...

        def _logged(self) -> VersionRecord: ...

        def _current_manifest(self) -> Manifest: ...

    @property
    def id(self) -> str | None:
        return None if self._record is None else self._record.id

    @property
    def name(self) -> str:
        if self._record is None:
            return self._collection_name
        return f"{self._record.collection}:v{self._record.version_index}"

    @property
    def qualified_name(self) -> str:
        """``entity/project/name:vN`` (W&B's; for a link, the registry's entity and project)."""
        record = self._logged()
        return f"{record.entity}/{record.project}/{record.collection}:v{record.version_index}"

    @property
    def version(self) -> str:
        return f"v{self._logged().version_index}"

    @property
    def entity(self) -> str:
        return self._logged().entity

    @property
    def project(self) -> str:
        return self._logged().project

    @property
    def type(self) -> str:
        return self._type

    @property
    def state(self) -> str:
        if self._record is None:
            return VersionState.PENDING.value
        return self._record.state.value

    @property
    def digest(self) -> str:
        if self._record is not None:
            return self._record.digest
        return self._contents.manifest.digest()

    commit_hash = digest

    @property
    def size(self) -> int:
        if self._record is not None:
            return self._record.size
        return self._contents.manifest.size

    @property
    def file_count(self) -> int:
        if self._record is not None:
            return self._record.file_count
        return len(self._contents.manifest)

    @property
    def created_at(self) -> str:
        return self._logged().created_at

    @property
    def updated_at(self) -> str:
        record = self._logged()
        return record.updated_at

    @property
    def history_step(self) -> int | None:
        return self._logged().history_step

    @property
    def url(self) -> str | None:
        """The version's page in the web UI (``archivist server``, or ``archivist ui`` at its
        default address for the embedded store); None for a draft."""
        if self._record is None:
            return None
        return absolute(self._context().settings.base_url, version_url(self._record))

    @property
    def manifest(self) -> ArtifactManifest:
        return ArtifactManifest(self._current_manifest(), self)
