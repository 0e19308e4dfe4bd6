"""Request bodies of the API, one model per Backend call, for validation and /openapi.json.

They check the JSON's shape only (strings are strings, numbers fit in 64 bits,
unknown fields are refused); what a value means -- a valid name, alias, digest,
a positive TTL -- is checked by the service, exactly as for the embedded store.
``to_record`` builds the ``archivist.core.models`` record the service takes. The
responses are those records' ``to_dict`` form, documented by the records themselves.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from archivist.core.ids import NODE_ID_PATTERN, VERSION_ID_PATTERN
from archivist.core.models import (
    CollectionUpdate,
    CommitRequest,
    RunFile,
    RunRef,
    RunSpec,
    RunUpdate,
    VersionQuery,
    VersionUpdate,
)

Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
JsonObject = dict[str, Any]


def _documented(pattern: str) -> Any:
    """A rule shown in /openapi.json only; the service enforces it, with its own messages."""
    return Field(json_schema_extra={"pattern": pattern})


Name = Annotated[str, _documented(r"^[A-Za-z0-9_.\-]{1,128}$")]
"""An entity or artifact (collection) name."""
Project = Annotated[str, _documented(r"^[^/\\#?%:\r\n]{1,128}$")]
RunId = Annotated[str, _documented(r"^[A-Za-z0-9_\-]{1,128}$")]
Digest = Annotated[str, _documented(r"^[0-9a-f]{64}$")]
VersionId = Annotated[str, Field(pattern=VERSION_ID_PATTERN)]
"""Checked here, at the edge: one canonical spelling per id (``archivist.core.ids``)."""


class WireModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    def set_fields(self) -> dict[str, Any]:
        """The fields the request named (an update changes only those)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class RunRefBody(WireModel):
    entity: Name
    project: Project
    run_id: RunId

    def to_record(self) -> RunRef:
        return RunRef(self.entity, self.project, self.run_id)


class RunSpecBody(WireModel):
    ref: RunRefBody
    name: str | None = None
    job_type: str | None = None
    group: str | None = None
    notes: str | None = None
    tags: list[str] = []
    config: JsonObject = {}
    host: str | None = None
    pid: Int64 | None = None

    def to_record(self) -> RunSpec:
        fields = self.model_dump(exclude={"ref", "tags"})
        return RunSpec(ref=self.ref.to_record(), tags=tuple(self.tags), **fields)


class RunUpdateFields(WireModel):
    """Only the fields present change; ``config`` and ``summary`` are full replacements."""

    state: str | None = None
    config: JsonObject | None = None
    summary: JsonObject | None = None
    notes: str | None = None
    tags: list[str] | None = None
    name: str | None = None

    def to_record(self) -> RunUpdate:
        return RunUpdate(**self.set_fields())


class RunUpdateBody(WireModel):
    ref: RunRefBody
    update: RunUpdateFields


class RunBody(WireModel):
    ref: RunRefBody


class ProjectBody(WireModel):
    entity: Name
    project: Project


class EntityBody(WireModel):
    entity: Name


class HistoryAppendBody(WireModel):
    ref: RunRefBody
    rows: list[JsonObject]


class HistoryReadBody(WireModel):
    ref: RunRefBody
    min_step: Int64 = 0
    max_step: Int64 | None = None
    limit: Int64 = 1000


class RunFileBody(WireModel):
    path: str
    digest: Digest
    size: Int64

    def to_record(self) -> RunFile:
        return RunFile(self.path, self.digest, self.size)


class RunFilesBody(WireModel):
    ref: RunRefBody
    files: list[RunFileBody]


class CommitBody(WireModel):
    entity: Name
    project: Project
    name: Name
    type: str
    digest: Digest
    manifest_digest: Digest
    description: str | None = None
    metadata: JsonObject = {}
    aliases: list[str] = []
    tags: list[str] = []
    ttl_seconds: Int64 | None = None
    run: RunRefBody | None = None
    history_step: Int64 | None = None
    base_version_id: VersionId | None = None

    def to_record(self) -> CommitRequest:
        fields = self.model_dump(exclude={"run", "aliases", "tags"})
        run = self.run.to_record() if self.run is not None else None
        return CommitRequest(aliases=tuple(self.aliases), tags=tuple(self.tags), run=run, **fields)


class ResolveBody(WireModel):
    entity: Name
    project: Project
    collection: Name
    selector: str


class VersionIdBody(WireModel):
    version_id: VersionId


class VersionQueryBody(WireModel):
    entity: Name
    project: Project
    collection: Name
    tags: list[str] = []
    order: str = "-version"
    offset: Int64 = 0
    limit: Int64 | None = None
    digest: str | None = None

    def to_record(self) -> VersionQuery:
        return VersionQuery(**{**self.model_dump(), "tags": tuple(self.tags)})


class VersionUpdateFields(WireModel):
    """Only the fields present change; ``aliases`` and ``tags`` are full replacements."""

    description: str | None = None
    metadata: JsonObject | None = None
    aliases: list[str] | None = None
    tags: list[str] | None = None
    ttl_seconds: Int64 | None = None

    def to_record(self) -> VersionUpdate:
        return VersionUpdate(**self.set_fields())


class VersionUpdateBody(WireModel):
    version_id: VersionId
    update: VersionUpdateFields


class VersionDeleteBody(WireModel):
    version_id: VersionId
    delete_aliases: bool = False


class CollectionListBody(WireModel):
    entity: Name
    project: Project
    type_name: str | None = None


class CollectionBody(WireModel):
    entity: Name
    project: Project
    name: Name


class CollectionUpdateFields(WireModel):
    name: str | None = None
    type: str | None = None
    description: str | None = None
    tags: list[str] | None = None

    def to_record(self) -> CollectionUpdate:
        return CollectionUpdate(**self.set_fields())


class CollectionUpdateBody(WireModel):
    entity: Name
    project: Project
    name: Name
    update: CollectionUpdateFields


class RecordUseBody(WireModel):
    ref: RunRefBody
    version_id: VersionId


class LineageBody(WireModel):
    node_id: Annotated[str, Field(pattern=NODE_ID_PATTERN)]
    direction: str
    depth: Int64


class DigestsBody(WireModel):
    digests: list[Digest]


class ResumeBody(WireModel):
    upload_id: str
    multipart_id: str


class PlannedBlob(WireModel):
    digest: Digest
    size: Int64
    resume: ResumeBody | None = None
    """The token of an interrupted multipart upload of this blob, to resume it."""


class UploadPlanBody(WireModel):
    blobs: list[PlannedBlob]
    stream: bool = False
    """The client can send large blobs to the server's blob listener (mode ``stream``)."""


class UploadedPartBody(WireModel):
    part_number: Int64
    etag: str


class UploadCompletionBody(WireModel):
    digest: Digest
    upload_id: str
    multipart_id: str | None = None
    parts: list[UploadedPartBody] = []


class UploadCompleteBody(WireModel):
    completions: list[UploadCompletionBody]


# --- administration ---------------------------------------------------------------------


class UserCreateBody(WireModel):
    name: Name
    is_admin: bool = False


class KeyCreateBody(WireModel):
    user: Name
    description: str | None = None


class UserBody(WireModel):
    user: Name


class KeyRevokeBody(WireModel):
    key_id: str


class TeamBody(WireModel):
    name: Name


class MemberBody(WireModel):
    team: Name
    user: Name
    role: Annotated[str, Field(json_schema_extra={"enum": ["admin", "member", "viewer"]})] = "member"
