"""Domain records that cross the Backend protocol.

They are frozen dataclasses of plain values (str, int, float, dict, tuple) so
that the HTTP backend can serialise them with ``dataclasses.asdict`` and rebuild
them with ``from_dict``. Timestamps are ISO-8601 strings in UTC.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from archivist.core.ids import Digest, Name, ProjectName, RunId, VersionId
from archivist.core.lifecycle import TTL_INHERIT, RetentionRule

T = TypeVar("T")


class RunState(str, enum.Enum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CRASHED = "crashed"
    KILLED = "killed"


class VersionState(str, enum.Enum):
    PENDING = "PENDING"
    COMMITTED = "COMMITTED"
    DELETED = "DELETED"


class Direction(str, enum.Enum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


class _Unset:
    """Marks a field of an update request that the caller does not change."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


@dataclass(frozen=True)
class RunRef:
    entity: Name
    project: ProjectName
    run_id: RunId

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.run_id}"


@dataclass(frozen=True)
class RunSpec:
    """What ``init`` sends to create (or resume) a run."""

    ref: RunRef
    name: str | None = None
    job_type: str | None = None
    group: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict)
    host: str | None = None
    pid: int | None = None


@dataclass(frozen=True)
class RunRecord:
    ref: RunRef
    name: str
    job_type: str | None
    group: str | None
    notes: str | None
    tags: tuple[str, ...]
    state: RunState
    config: Mapping[str, Any]
    summary: Mapping[str, Any]
    created_at: str
    updated_at: str
    host: str | None = None
    pid: int | None = None


def settable(wire_type: Any) -> Any:
    """A field of an update record: UNSET (left as it is) unless the caller sets it to a value of
    ``wire_type`` (what the API's schema documents for it)."""
    return field(default=UNSET, metadata={"wire_type": wire_type})


@dataclass(frozen=True)
class RunUpdate:
    """Fields of a run to change; UNSET leaves a field as it is."""

    state: Any = settable(RunState | None)
    config: Any = settable(dict[str, Any] | None)  # full replacement mapping
    summary: Any = settable(dict[str, Any] | None)  # full replacement mapping
    notes: Any = settable(str | None)
    tags: Any = settable(list[str] | None)
    name: Any = settable(str | None)


@dataclass(frozen=True)
class RunFile:
    path: str
    digest: Digest
    size: int


@dataclass(frozen=True)
class CollectionRecord:
    id: str
    entity: str
    project: str
    name: str
    type: str
    description: str | None
    tags: tuple[str, ...]
    aliases: tuple[str, ...]
    version_count: int
    created_at: str
    updated_at: str
    retention: RetentionRule | None = None
    """The collection's retention rule (``core.lifecycle``), applied by the sweep."""


@dataclass(frozen=True)
class CollectionUpdate:
    name: Any = settable(str | None)
    type: Any = settable(str | None)
    description: Any = settable(str | None)
    tags: Any = settable(list[str] | None)
    retention: Any = settable(RetentionRule | None)
    """None removes the rule."""


@dataclass(frozen=True)
class LinkSource:
    """The version a registry link names (its content, lineage and blobs are the source's)."""

    id: VersionId
    entity: str
    project: str
    collection: str
    version_index: int

    @property
    def qualified_name(self) -> str:
        return f"{self.entity}/{self.project}/{self.collection}:v{self.version_index}"


@dataclass(frozen=True)
class VersionRecord:
    """One committed (or deleted) version as the store knows it."""

    id: str
    entity: str
    project: str
    collection: str
    type: str
    version_index: int
    digest: str
    manifest_digest: str
    size: int
    file_count: int
    description: str | None
    metadata: Mapping[str, Any]
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    ttl_seconds: int | None
    """The TTL in effect: the version's own, or the team default it inherits (None: none)."""
    state: VersionState
    created_at: str
    updated_at: str
    producer: RunRef | None = None
    history_step: int | None = None
    source: LinkSource | None = None
    """Set on a link in a registry collection: the version it names."""
    ttl_inherited: bool = False
    """The version's policy is to inherit the team default TTL (``core.lifecycle``)."""
    expires_at: str | None = None
    """When its TTL runs out (the sweep then soft-deletes it); None: never."""
    deleted_at: str | None = None
    """When it was soft-deleted (restorable until the collector purges it)."""

    @property
    def version(self) -> str:
        return f"v{self.version_index}"

    @property
    def qualified_collection(self) -> str:
        return f"{self.entity}/{self.project}/{self.collection}"


@dataclass(frozen=True)
class CommitRequest:
    """Everything needed to commit a version whose blobs and manifest are stored."""

    entity: Name
    project: ProjectName
    name: Name
    type: str
    digest: Digest
    manifest_digest: Digest
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    ttl_seconds: int | None = TTL_INHERIT
    """The TTL policy (``core.lifecycle``): seconds, -1 inherit, -2 or None no TTL."""
    run: RunRef | None = None
    history_step: int | None = None
    base_version_id: VersionId | None = None


@dataclass(frozen=True)
class CommitResult:
    version: VersionRecord
    created: bool  # False: identical content existed; that version was returned


@dataclass(frozen=True)
class VersionUpdate:
    """Changes to a logged version; ``aliases`` and ``tags`` are full replacements."""

    description: Any = settable(str | None)
    metadata: Any = settable(dict[str, Any] | None)
    aliases: Any = settable(list[str] | None)
    tags: Any = settable(list[str] | None)
    ttl_seconds: Any = settable(int | None)
    """The TTL policy (``core.lifecycle``): seconds, -1 inherit, -2 or None no TTL."""


@dataclass(frozen=True)
class VersionQuery:
    """Which versions of a collection to list."""

    entity: Name
    project: ProjectName
    collection: Name
    tags: tuple[str, ...] = ()
    order: str = "-version"  # '+'/'-' then one of version, created_at, size
    offset: int = 0
    limit: int | None = None
    digest: str | None = None  # only versions with this content digest (dedup lookups)
    filter: Mapping[str, Any] = field(default_factory=dict)
    """MongoDB-style, checked by ``archivist.core.registry_filters`` (alias, tag, version,
    type, created_at, metadata.<key>)."""


@dataclass(frozen=True)
class RunQuery:
    """Which runs of a project to list: W&B's MongoDB-style ``filters`` (checked by
    ``archivist.core.run_filters``; dates as ISO strings), an order and a page."""

    entity: Name
    project: ProjectName
    filters: Mapping[str, Any] = field(default_factory=dict)
    order: str = "-created_at"  # '+'/'-' then a run field, config.<key> or summary_metrics.<key>
    offset: int = 0
    limit: int | None = None


@dataclass(frozen=True)
class ProjectRecord:
    entity: str
    name: str
    created_at: str
    run_count: int
    collection_count: int


@dataclass(frozen=True)
class LineageNode:
    """A node of the lineage graph: kind is 'run' or 'version'; id is the run path or version id.
    ``hidden``: the caller may not read the node's entity; it is a placeholder (kind and id
    only, no record), so the graph keeps its shape without showing what the node holds."""

    kind: str
    id: str
    label: str
    run: RunRecord | None = None
    version: VersionRecord | None = None
    hidden: bool = False


@dataclass(frozen=True)
class LineageEdge:
    """source -> target; a run->version edge means 'logged', version->run means 'used'."""

    source: str
    target: str
    kind: str  # 'logged' | 'used'


@dataclass(frozen=True)
class LineageGraph:
    root: str
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]


def to_dict(record: Any) -> Any:
    """Plain-JSON form of a record (enums become their values)."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: to_dict(getattr(record, f.name)) for f in dataclasses.fields(record)}
    if isinstance(record, enum.Enum):
        return record.value
    if isinstance(record, (list, tuple)):
        return [to_dict(v) for v in record]
    if isinstance(record, Mapping):
        return {k: to_dict(v) for k, v in record.items()}
    if record is UNSET:
        raise TypeError("UNSET fields must be dropped before serialising")
    return record
