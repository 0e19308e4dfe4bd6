"""``archivist fsck``: are the blobs every committed version names whole?

Three steps, so that the command can show progress for each:

1. ``committed_versions`` lists every committed version of a live collection;
2. ``read_manifests`` reads each one's manifest (verified against its digest) and
   gathers the size every stored entry gives its blob;
3. ``storage.blob_check.check_blobs`` reads every one of those blobs (and a folder
   store's pack index), and ``report`` turns what it found into problems naming the
   versions (``entity/project/name:vN``) and the paths each damaged or missing blob is
   stored as.

``repair`` removes the damaged blobs and bad pack-index entries, so that the next
upload of those bytes stores them anew (logging the files again); a missing blob can only
come back that way too. A version whose manifest is lost cannot be logged again (the
same content is found committed already): delete it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import blake3
from sqlalchemy import Engine, select

from archivist.core.errors import BlobNotFoundError, DamagedBlobError, IntegrityError
from archivist.core.manifest import iter_manifest_entries
from archivist.core.models import VersionState
from archivist.metadata.engine import read_transaction
from archivist.metadata.schema import LIVE_COLLECTION, collections, entities, projects, versions
from archivist.storage import blob_check
from archivist.storage.base import BlobStore

READ_BYTES = 4 << 20
SHOWN_PATHS = 3


@dataclass(frozen=True)
class CheckedVersion:
    name: str
    """``entity/project/name:vN``."""
    manifest_digest: str


@dataclass
class ManifestIndex:
    """What the manifests say: each stored blob's size, and which versions name it."""

    sizes: dict[str, int] = field(default_factory=dict)
    users: dict[str, list[int]] = field(default_factory=dict)
    """Digest -> positions (in the list of versions) of the versions naming it."""
    faults: list[blob_check.BlobFault] = field(default_factory=list)
    """Manifests missing or damaged."""
    manifest_bytes: int = 0


@dataclass(frozen=True)
class Problem:
    kind: str
    digest: str
    detail: str
    versions: tuple[str, ...]
    paths: tuple[str, ...]
    """Paths the blob is stored as in those versions (the first few); empty for a manifest."""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "digest": self.digest,
            "detail": self.detail,
            "versions": list(self.versions),
            "paths": list(self.paths),
        }


@dataclass
class Report:
    versions_checked: int
    blobs_checked: int
    bytes_checked: int
    problems: list[Problem]
    removed: int = 0
    """Blobs ``repair`` removed (with their pack-index entries)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def affected_versions(self) -> list[str]:
        return sorted({name for problem in self.problems for name in problem.versions})

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "versions_checked": self.versions_checked,
            "blobs_checked": self.blobs_checked,
            "bytes_checked": self.bytes_checked,
            "problems": [problem.as_json() for problem in self.problems],
            "affected_versions": self.affected_versions(),
            "removed": self.removed,
        }


def committed_versions(engine: Engine) -> list[CheckedVersion]:
    statement = (
        select(
            entities.c.name,
            projects.c.name,
            collections.c.name,
            versions.c.version_index,
            versions.c.manifest_digest,
        )
        .join(collections, collections.c.id == versions.c.collection_id)
        .join(projects, projects.c.id == collections.c.project_id)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(versions.c.state == VersionState.COMMITTED.value, LIVE_COLLECTION)
        .order_by(entities.c.name, projects.c.name, collections.c.name, versions.c.version_index)
    )
    with read_transaction(engine) as connection:
        rows = connection.execute(statement).all()
    return [CheckedVersion(f"{e}/{p}/{c}:v{index}", manifest) for e, p, c, index, manifest in rows]


def read_manifests(
    store: BlobStore, checked: Sequence[CheckedVersion], advance: Callable[[int], None]
) -> ManifestIndex:
    """Read every version's manifest; ``advance`` gets 1 per version read."""
    index = ManifestIndex()
    failed: dict[str, blob_check.BlobFault] = {}
    for position, version in enumerate(checked):
        digest = version.manifest_digest
        fault = failed.get(digest) or _gather(store, digest, position, index)
        if fault is not None:
            failed[digest] = fault
            index.users.setdefault(digest, []).append(position)
        advance(1)
    index.faults = list(failed.values())
    return index


def _gather(
    store: BlobStore, digest: str, position: int, index: ManifestIndex
) -> blob_check.BlobFault | None:
    """Add the entries of manifest ``digest`` (of the version at ``position``) to ``index``;
    the manifest's fault when it cannot be read whole."""
    hasher = blake3.blake3()
    try:
        with store.open(digest) as reader:
            blocks = _hashed_blocks(reader, hasher, index)
            entries = [
                (entry.digest, entry.size) for entry in iter_manifest_entries(blocks) if entry.ref is None
            ]
            for _block in blocks:  # the rest, so that all of it is hashed
                pass
    except BlobNotFoundError:
        return blob_check.BlobFault(digest, blob_check.MISSING, "the manifest is not in the store")
    except DamagedBlobError as error:
        return blob_check.BlobFault(digest, blob_check.DAMAGED, f"the manifest is damaged: {error.message}")
    except IntegrityError as error:
        if hasher.hexdigest() == digest:
            raise  # whole, but not a manifest: a bug, not damage
        return blob_check.BlobFault(digest, blob_check.DAMAGED, f"the manifest is damaged: {error.message}")
    if hasher.hexdigest() != digest:
        return blob_check.BlobFault(
            digest, blob_check.DAMAGED, "the manifest's bytes do not hash to its digest"
        )
    for blob, size in entries:
        index.sizes.setdefault(blob, size)
        users = index.users.setdefault(blob, [])
        if not users or users[-1] != position:
            users.append(position)
    return None


def _hashed_blocks(reader: BinaryIO, hasher: blake3.blake3, index: ManifestIndex) -> Iterator[bytes]:
    while block := reader.read(READ_BYTES):
        hasher.update(block)
        index.manifest_bytes += len(block)
        yield block


def report(
    store: BlobStore,
    checked: Sequence[CheckedVersion],
    index: ManifestIndex,
    faults: Sequence[blob_check.BlobFault],
) -> Report:
    """The problems found, each naming the versions it affects and the paths of the blob."""
    every = [*index.faults, *faults]
    wanted = {fault.digest for fault in every}
    paths = _paths_of(store, checked, index, wanted)
    problems = [
        Problem(
            fault.kind,
            fault.digest,
            fault.detail,
            tuple(checked[position].name for position in index.users.get(fault.digest, [])),
            tuple(paths.get(fault.digest, [])),
        )
        for fault in sorted(every, key=lambda fault: (fault.kind, fault.digest))
    ]
    manifests = {version.manifest_digest for version in checked}
    blobs = len(index.sizes) + len(manifests)
    return Report(len(checked), blobs, index.manifest_bytes + sum(index.sizes.values()), problems)


def _paths_of(
    store: BlobStore, checked: Sequence[CheckedVersion], index: ManifestIndex, wanted: set[str]
) -> dict[str, list[str]]:
    """The first few paths each of ``wanted`` is stored as, read again from the manifests of
    the versions naming them (only those: a store in good health reads nothing here)."""
    positions = sorted({position for digest in wanted for position in index.users.get(digest, [])})
    found: dict[str, list[str]] = {}
    for position in positions:
        try:
            with store.open(checked[position].manifest_digest) as reader:
                for entry in iter_manifest_entries(iter(lambda: reader.read(READ_BYTES), b"")):
                    shown = found.setdefault(entry.digest, []) if entry.digest in wanted else None
                    if shown is not None and len(shown) < SHOWN_PATHS and entry.path not in shown:
                        shown.append(entry.path)
        except (BlobNotFoundError, IntegrityError):
            continue  # that manifest is itself a problem
    return found


def repair(store: BlobStore, found: Report) -> Report:
    """Remove the damaged blobs and bad pack-index entries ``found`` names (a blob of the
    right bytes that a manifest gives another size is left: the version is wrong, not it)."""
    removable = {
        problem.digest
        for problem in found.problems
        if problem.kind in (blob_check.DAMAGED, blob_check.BAD_PACK_ENTRY)
    }
    blob_check.remove_faulty(store, removable)
    found.removed = len(removable)
    return found
