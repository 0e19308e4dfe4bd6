"""``Artifact``: a draft being built, then the logged version it becomes.

A draft collects entries (files hashed where they are, references); logging
hands it to the background saver; once committed the same object reads the
version's fields from the store. Editable fields of a logged version
(description, metadata, aliases, tags, ttl) are saved with ``save()``; files
never change (``new_draft()`` starts the next version).

This module builds the object (a new draft, a logged version from its record, the
artifacts one leads to); the rest is mixed in: ``artifact_identity`` (names, digest,
size, times), ``artifact_fields`` (the editable fields), ``artifact_logging`` (commit,
``wait()``, ``save()``, delete/restore), ``artifact_lineage`` (collection, links, runs),
``draft_editing``, ``artifact_reading``, ``artifact_streaming`` and ``artifact_media``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from concurrent.futures import Future
from typing import Any

from archivist.core.blob_transfer import BlobTransfer
from archivist.core.errors import ArtifactNotLoggedError
from archivist.core.manifest import Manifest
from archivist.core.models import CommitResult, VersionRecord
from archivist.core.names import validate_artifact_name, validate_metadata, validate_type
from archivist.sdk import registry_links
from archivist.sdk.artifact_fields import ArtifactTTL, EditableFieldsMixin, check_description, timedelta
from archivist.sdk.artifact_identity import IdentityMixin
from archivist.sdk.artifact_lineage import LineageMixin
from archivist.sdk.artifact_logging import LoggingMixin
from archivist.sdk.artifact_media import MediaMixin
from archivist.sdk.artifact_reading import ReadingMixin
from archivist.sdk.artifact_streaming import StreamingMixin
from archivist.sdk.context import Context, get_context
from archivist.sdk.draft_contents import DraftContents
from archivist.sdk.draft_editing import DraftEditingMixin
from archivist.sdk.manifest_io import load_manifest


class Artifact(
    IdentityMixin,
    EditableFieldsMixin,
    LoggingMixin,
    LineageMixin,
    DraftEditingMixin,
    ReadingMixin,
    StreamingMixin,
    MediaMixin,
):
    """A versioned set of files and references (W&B's ``wandb.Artifact``)."""

    def __init__(
        self,
        name: str,
        type: str = "unspecified",
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        incremental: bool = False,
        use_as: str | None = None,
        storage_region: str | None = None,
    ) -> None:
        self._collection_name = validate_artifact_name(name)
        self._type = validate_type(type, name)
        self._description = check_description(description)
        self._metadata = validate_metadata(metadata)
        self._aliases: list[str] = []
        self._tags: list[str] = []
        self._ttl: dt.timedelta | ArtifactTTL | None = ArtifactTTL.INHERIT
        self._ctx: Context | None = None
        self._contents = DraftContents(self._stat_cache, self._transfer)
        self._final = False
        self._future: Future[CommitResult] | None = None
        self._failure_reported = False
        self._deduplicated = False
        self._record: VersionRecord | None = None
        self._manifest: Manifest | None = None
        self._base_version_id: str | None = None
        self._tmp_dir: tempfile.TemporaryDirectory[str] | None = None
        self.storage_region = storage_region
        self.incremental = incremental

    @classmethod
    def internal(cls, name: str, type: str) -> Artifact:
        """A draft of a type kept for Archivist's own artifacts (``run_table``,
        ``wandb-run-incremental-table``), which users cannot create."""
        art = cls(name, "unspecified")
        art._type = validate_type(type, name, internal=True)
        return art

    # --- construction from the store ---------------------------------------------------------------------
    @classmethod
    def from_record(cls, ctx: Context, record: VersionRecord) -> Artifact:
        """The logged version ``record`` describes, read through ``ctx``."""
        art = cls.__new__(cls)
        art._collection_name = record.collection
        art._type = record.type
        art._ctx = ctx
        art._final = True
        art._future = None
        art._failure_reported = False
        art._deduplicated = False
        art._manifest = None
        art._base_version_id = None
        art._tmp_dir = None
        art._contents = DraftContents(art._stat_cache, art._transfer)
        art.storage_region = None
        art.incremental = False
        art._set_record(record)
        return art

    def _set_record(self, record: VersionRecord) -> None:
        self._record = record
        self._collection_name = record.collection
        self._type = record.type
        self._description = record.description
        self._metadata = dict(record.metadata)
        self._aliases = [a for a in record.aliases]
        self._tags = list(record.tags)
        self._ttl = ArtifactTTL.INHERIT if record.ttl_inherited else timedelta(record.ttl_seconds)

    # --- helpers ---------------------------------------------------------------------
    def _context(self) -> Context:
        if self._ctx is None:
            self._ctx = get_context()
        return self._ctx

    def _stat_cache(self) -> Any:
        return self._context().stat_cache

    def _transfer(self) -> BlobTransfer:
        """Where a draft keeps the bytes of the files it adds (``file_digests``)."""
        return self._context().transfer

    def _logged(self) -> VersionRecord:
        if self._record is None and self._future is not None:
            raise ArtifactNotLoggedError(
                f"artifact {self._collection_name!r} is still being logged; call artifact.wait() first"
            )
        if self._record is None:
            raise ArtifactNotLoggedError(
                f"artifact {self._collection_name!r} is a draft that was never logged; "
                "log it with run.log_artifact() (and call wait()) first"
            )
        return self._record

    def _current_manifest(self) -> Manifest:
        if self._record is None:
            return self._contents.manifest
        if self._manifest is None:
            self._manifest = load_manifest(self._context().transfer, self._record)
        return self._manifest

    @property
    def context(self) -> Context:
        """The context this artifact reads and writes through (the process default until
        a run logs or uses it)."""
        return self._context()

    def bind_context(self, ctx: Context) -> None:
        """Read and write through ``ctx`` from now on (the context of the run logging it)."""
        self._ctx = ctx

    @property
    def core_manifest(self) -> Manifest:
        """The entries as a ``core.manifest.Manifest``: the draft's, or the logged
        version's (read from the store once)."""
        return self._current_manifest()

    @property
    def draft_contents(self) -> DraftContents:
        """What the draft holds: its entries, where their files are, bytes held in memory."""
        return self._contents

    @property
    def local_paths(self) -> dict[str, str]:
        """Where the entries added in this process are on local disk, by logical path."""
        return self._contents.local_paths

    # --- other artifacts from this one ----------------------------------------------------------
    @property
    def source_artifact(self) -> Artifact:
        record = self._logged()
        if record.source is None:
            return self
        return Artifact.from_record(self._context(), registry_links.source_record(self._context(), record))

    @property
    def linked_artifacts(self) -> list[Artifact]:
        """The links of this version in registries (empty for a link, as in W&B)."""
        ctx = self._context()
        return [Artifact.from_record(ctx, r) for r in registry_links.linked_records(ctx, self._logged())]

    def new_draft(self) -> Artifact:
        """A draft of the next version holding this version's entries; only what you
        add or change is hashed and stored."""
        record = self._logged()
        draft = Artifact(record.collection, record.type, record.description, dict(record.metadata))
        draft.bind_context(self._context())
        draft.draft_contents.add_entries(list(self._current_manifest()))
        draft._base_version_id = record.id
        return draft

    def json_encode(self) -> dict[str, Any]:
        record = self._logged()
        return {
            "_type": "artifactVersion",
            "id": record.id,
            "version": self.version,
            "sequenceName": record.collection,
            "usedAs": record.collection,
        }

    def __repr__(self) -> str:
        return f"<Artifact {self.name} type={self._type}>"
