"""Logging an artifact and the logged version's life: the draft handed to the background
saver, ``wait()`` for its commit, ``save()`` of a draft or of a version's edited fields,
``delete()`` and ``restore()``, and an incremental draft built on its base. Mixed into
``Artifact``."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from archivist.core.errors import ArtifactNotLoggedError, InvalidInputError, WaitTimeoutError
from archivist.core.lifecycle import TTL_INHERIT
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
from archivist.core.names import validate_aliases, validate_tags
from archivist.core.paths import LATEST
from archivist.sdk import upward_calls
from archivist.sdk.artifact_lineage import with_state
from archivist.sdk.context import Context
from archivist.sdk.draft_contents import DraftContents
from archivist.sdk.termlog import DEDUP_NOTICE, termlog_throttled
from archivist.sdk.ttl_notice import policy_of, warn_if_ttl_ignored

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact


class LoggingMixin:
    _collection_name: str
    _description: str | None
    _metadata: dict[str, Any]
    _aliases: list[str]
    _tags: list[str]
    _contents: DraftContents
    _final: bool
    _future: Future[CommitResult] | None
    _failure_reported: bool
    _deduplicated: bool
    _record: VersionRecord | None
    _manifest: Manifest | None
    _base_version_id: str | None

    if TYPE_CHECKING:

        @property
        def name(self) -> str: ...

        @property
        def type(self) -> str: ...

        @property
        def description(self) -> str | None: ...

        @property
        def metadata(self) -> dict[str, Any]: ...

        def _context(self) -> Context: ...

        def _logged(self) -> VersionRecord: ...

        def _set_record(self, record: VersionRecord) -> None: ...

        def _ttl_seconds(self) -> int: ...

        def new_draft(self) -> Artifact: ...

        def unlink(self) -> None: ...

    def is_draft(self) -> bool:
        return self._record is None and self._future is None and not self._final

    def finalize(self) -> None:
        self._final = True

    @property
    def deduplicated(self) -> bool:
        """True when logging this artifact made no new version: its content was identical to
        the existing version it now names (an Archivist extension; False for a draft)."""
        return self._deduplicated

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
        self._record = with_state(record, VersionState.DELETED)

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
