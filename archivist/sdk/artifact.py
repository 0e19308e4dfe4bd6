"""``Artifact``: a draft being built, then the logged version it becomes.

A draft collects entries (files hashed where they are, references); logging
hands it to the background saver; once committed the same object reads the
version's fields from the store. Editable fields of a logged version
(description, metadata, aliases, tags, ttl) are saved with ``save()``; files
never change (``new_draft()`` starts the next version).
"""

from __future__ import annotations

import datetime as dt
import enum
import tempfile
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from archivist.core.blob_transfer import BlobTransfer
from archivist.core.errors import (
    ArtifactNotLoggedError,
    InvalidInputError,
    WaitTimeoutError,
)
from archivist.core.lifecycle import TTL_DISABLED, TTL_INHERIT, ttl_refusal
from archivist.core.manifest import Manifest
from archivist.core.models import (
    UNSET,
    CommitRequest,
    CommitResult,
    RunRef,
    VersionRecord,
    VersionState,
    VersionUpdate,
)
from archivist.core.names import (
    validate_aliases,
    validate_artifact_name,
    validate_metadata,
    validate_tags,
    validate_type,
)
from archivist.core.paths import LATEST
from archivist.sdk import registry_links, upward_calls
from archivist.sdk.artifact_manifest import ArtifactManifest
from archivist.sdk.artifact_media import MediaMixin
from archivist.sdk.artifact_reading import ReadingMixin
from archivist.sdk.artifact_streaming import StreamingMixin
from archivist.sdk.context import Context, get_context
from archivist.sdk.draft_contents import DraftContents
from archivist.sdk.draft_editing import DraftEditingMixin
from archivist.sdk.manifest_io import load_manifest
from archivist.sdk.termlog import DEDUP_NOTICE, termlog_throttled
from archivist.sdk.ttl_notice import policy_of, warn_if_ttl_ignored
from archivist.wire.ui_paths import absolute, version_url

if TYPE_CHECKING:
    from archivist.sdk.artifact_collections import ArtifactCollection
    from archivist.sdk.public_runs import PublicRun


class ArtifactTTL(enum.Enum):
    INHERIT = 0


class Artifact(DraftEditingMixin, ReadingMixin, StreamingMixin, MediaMixin):
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
        self._description = _check_description(description)
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
        self._ttl = ArtifactTTL.INHERIT if record.ttl_inherited else _timedelta(record.ttl_seconds)

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

    # --- identity ---------------------------------------------------------------------
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
    def source_entity(self) -> str:
        return registry_links.source_parts(self._logged())[0]

    @property
    def source_project(self) -> str:
        return registry_links.source_parts(self._logged())[1]

    @property
    def source_version(self) -> str:
        return f"v{registry_links.source_parts(self._logged())[3]}"

    @property
    def source_qualified_name(self) -> str:
        entity, project, collection, index = registry_links.source_parts(self._logged())
        return f"{entity}/{project}/{collection}:v{index}"

    @property
    def source_name(self) -> str:
        return registry_links.source_name(self._logged())

    @property
    def collection(self) -> ArtifactCollection:
        """The collection holding this version (for a link, the registry collection)."""
        record = self._logged()
        ctx = self._context()
        return upward_calls.collection(
            ctx, ctx.backend.get_collection(record.entity, record.project, record.collection)
        )

    @property
    def source_collection(self) -> ArtifactCollection:
        entity, project, collection, _ = registry_links.source_parts(self._logged())
        ctx = self._context()
        return upward_calls.collection(ctx, ctx.backend.get_collection(entity, project, collection))

    @property
    def is_link(self) -> bool:
        return self._record is not None and self._record.source is not None

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

    @property
    def type(self) -> str:
        return self._type

    @property
    def state(self) -> str:
        if self._record is None:
            return VersionState.PENDING.value
        return self._record.state.value

    def is_draft(self) -> bool:
        return self._record is None and self._future is None and not self._final

    def finalize(self) -> None:
        self._final = True

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
    def deduplicated(self) -> bool:
        """True when logging this artifact made no new version: its content was identical to
        the existing version it now names (an Archivist extension; False for a draft)."""
        return self._deduplicated

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

    # --- editable fields ---------------------------------------------------------------------
    @property
    def description(self) -> str | None:
        return self._description

    @description.setter
    def description(self, value: str | None) -> None:
        self._description = _check_description(value)

    @property
    def metadata(self) -> dict[str, Any]:
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        self._metadata = validate_metadata(value)

    @property
    def aliases(self) -> list[str]:
        return self._aliases

    @aliases.setter
    def aliases(self, value: list[str]) -> None:
        self._aliases = list(validate_aliases(value))

    @property
    def tags(self) -> list[str]:
        return self._tags

    @tags.setter
    def tags(self, value: list[str]) -> None:
        self._tags = list(validate_tags(value))

    @property
    def ttl(self) -> dt.timedelta | None:
        if self._ttl is ArtifactTTL.INHERIT:
            if self._record is None:
                raise ArtifactNotLoggedError(
                    "this draft inherits its TTL from the team default, known once it is logged"
                )
            return _timedelta(self._record.ttl_seconds)  # the team default in effect
        return self._ttl

    @ttl.setter
    def ttl(self, value: dt.timedelta | ArtifactTTL | None) -> None:
        if self.is_link:
            raise InvalidInputError("Cannot set TTL for link artifact")
        refusal = ttl_refusal(self._type, False)
        if refusal is not None and isinstance(value, dt.timedelta):
            raise InvalidInputError(refusal)
        if value is None or value is ArtifactTTL.INHERIT:
            self._ttl = value
            return
        if not isinstance(value, dt.timedelta) or value.total_seconds() < 1:
            raise InvalidInputError(
                f"invalid ttl {value!r}: use a positive datetime.timedelta, None or ArtifactTTL.INHERIT"
            )
        self._ttl = value

    def _ttl_seconds(self) -> int:
        """The TTL policy on the wire (``core.lifecycle``)."""
        if isinstance(self._ttl, dt.timedelta):
            return int(self._ttl.total_seconds())
        return TTL_INHERIT if self._ttl is ArtifactTTL.INHERIT else TTL_DISABLED

    # --- lifecycle ---------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Artifact:
        """Block until the background log commits; re-raises its error if it failed."""
        if self._record is not None:
            return self
        if self._future is None:
            raise ArtifactNotLoggedError(
                f"artifact {self._collection_name!r} was never logged; log it before calling wait()"
            )
        try:
            result = self._future.result(timeout=timeout)
        except FutureTimeout:
            raise WaitTimeoutError(
                f"artifact {self._collection_name!r} was not committed within {timeout} seconds"
            ) from None
        except BaseException:
            self._failure_reported = True  # the run's end need not raise it again
            raise
        self._on_committed(result)
        return self

    def _on_committed(self, result: CommitResult) -> None:
        if self._record is not None:
            return
        manifest = self._contents.manifest
        asked_ttl = self._ttl_seconds()
        self._set_record(result.version)
        self._manifest = manifest
        self._future = None
        self._deduplicated = not result.created
        if result.created:
            warn_if_ttl_ignored(asked_ttl, TTL_INHERIT, result.version)
        else:
            termlog_throttled(
                f"{DEDUP_NOTICE}{result.version.qualified_collection}",
                f"artifact {result.version.collection!r} is identical to {result.version.version}; "
                "no new version was created",
            )

    def draft_to_log(self) -> Artifact:
        """The draft that logging this artifact commits: the artifact itself while it is a
        draft; for a logged version, a new draft of the same entries (committing it again
        dedups). A version still being logged cannot be logged again."""
        if self.is_draft():
            return self
        if self._record is None:
            raise InvalidInputError(f"artifact {self.name!r} is already being logged")
        again = self.new_draft()
        again._base_version_id = None
        return again

    def commit_request(
        self,
        entity: str,
        project: str,
        run: RunRef | None,
        aliases: tuple[str, ...],
        tags: tuple[str, ...],
        history_step: int | None = None,
    ) -> CommitRequest:
        """What committing this draft asks the store for, with the (validated) aliases
        and tags it gets; every version also gets 'latest'."""
        return CommitRequest(
            entity=entity,
            project=project,
            name=self._collection_name,
            type=self.type,
            digest=self._contents.manifest.digest(),
            manifest_digest="",
            description=self.description,
            metadata=self.metadata,
            aliases=(LATEST, *[a for a in aliases if a != LATEST]),
            tags=tags,
            ttl_seconds=self._ttl_seconds(),
            run=run,
            history_step=history_step,
            base_version_id=self._base_version_id,
        )

    def begin_logging(self, future: Future[CommitResult]) -> None:
        """The background saver commits this draft; ``wait()`` waits for ``future``."""
        self._final = True
        self._future = future

    @property
    def failure_reported(self) -> bool:
        """``wait()`` already raised this artifact's failure to someone."""
        return self._failure_reported

    def save(
        self, project: str | None = None, settings: Any = None, *, override_reason: str | None = None
    ) -> None:
        """A draft is logged (in a new run of type 'auto' when none is active); a logged
        version gets its edited description, metadata, aliases, tags and ttl saved.
        ``override_reason``: a registry admin's reason to give a protected alias to a version
        failing its promotion rule (recorded)."""
        if self._record is None:
            upward_calls.save_draft(self, project)
            return
        record = self._record
        update = VersionUpdate(
            description=self._description,
            metadata=self._metadata,
            aliases=tuple(validate_aliases(self._aliases)),
            tags=tuple(validate_tags(self._tags)),
            ttl_seconds=UNSET if record.source is not None else self._ttl_seconds(),
        )
        updated = self._context().backend.update_version(record.id, update, override_reason)
        if update.ttl_seconds is not UNSET:
            warn_if_ttl_ignored(update.ttl_seconds, policy_of(record), updated)
        self._set_record(updated)

    def delete(self, delete_aliases: bool = False) -> None:
        """Delete this version (and its links); for a link, remove only the link."""
        record = self._logged()
        if record.source is not None:
            self.unlink()
            return
        self._context().backend.delete_version(record.id, delete_aliases=delete_aliases)
        self._record = _with_state(record, VersionState.DELETED)

    def restore(self) -> Artifact:
        """Restore this deleted version (until the collector purges it): committed again under
        its number; its old aliases stay removed."""
        record = self._logged()
        restored = self._context().backend.restore_version(
            record.entity, record.project, record.collection, record.version_index
        )
        self._set_record(restored)
        return self

    def build_on(self, base: Artifact | None) -> None:
        """An incremental draft becomes ``base`` (its collection's latest version; None for
        the first) with the draft's removals and additions applied on top."""
        self._contents.build_on([] if base is None else list(base.core_manifest))
        self._base_version_id = None if base is None else base.id

    def new_draft(self) -> Artifact:
        """A draft of the next version holding this version's entries; only what you
        add or change is hashed and stored."""
        record = self._logged()
        draft = Artifact(record.collection, record.type, record.description, dict(record.metadata))
        draft.bind_context(self._context())
        draft.draft_contents.add_entries(list(self._current_manifest()))
        draft._base_version_id = record.id
        return draft

    # --- lineage ---------------------------------------------------------------------
    def logged_by(self) -> PublicRun | None:
        ctx = self._context()
        record = ctx.backend.version_producer(self._logged().id)
        return None if record is None else upward_calls.public_run(ctx, record)

    def used_by(self) -> list[PublicRun]:
        ctx = self._context()
        return [upward_calls.public_run(ctx, r) for r in ctx.backend.version_consumers(self._logged().id)]

    def link(
        self, target_path: str, aliases: list[str] | None = None, *, override_reason: str | None = None
    ) -> Artifact:
        """Link this version into a registry collection
        (``[org/]wandb-registry-<registry>/<collection>``; an old model-registry target lands
        in the ``model`` registry); in the active run a draft is logged first. Returns the
        link. ``override_reason``: a registry admin's reason to give a protected alias to a
        version failing its promotion rule (recorded)."""
        return upward_calls.link(self, target_path, aliases, override_reason)

    def unlink(self) -> None:
        """Remove this link from its registry collection (the source version stays)."""
        record = self._logged()
        registry_links.require_link(record, "unlink")
        self._context().backend.delete_version(record.id, delete_aliases=True)
        self._record = _with_state(record, VersionState.DELETED)

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


def _timedelta(seconds: int | None) -> dt.timedelta | None:
    return None if seconds is None else dt.timedelta(seconds=seconds)


def _check_description(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(f"description must be a string, got {type(value).__name__}")
    return value


def _with_state(record: VersionRecord, state: VersionState) -> VersionRecord:
    import dataclasses

    return dataclasses.replace(record, state=state)
