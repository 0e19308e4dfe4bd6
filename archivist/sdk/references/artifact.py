"""References to entries of other artifacts: ``wandb-artifact://<version id>/<path>``.

Adding one follows a chain of such references to the concrete entry (a stored
file or an external reference) and records a reference to the version that
holds it, with that entry's digest and size 0. Downloading it fetches the
target entry from its own artifact; a later change is impossible (versions are
immutable), but the target version can be deleted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from archivist.core.errors import (
    ArchivistError,
    ArtifactNotLoggedError,
    EntryNotFoundError,
    IntegrityError,
    InvalidInputError,
)
from archivist.core.manifest import Entry, Manifest
from archivist.core.paths import validate_logical_path
from archivist.sdk import upward_calls
from archivist.sdk.references.base import ReferenceHandler, single_name

if TYPE_CHECKING:
    from archivist.core.blob_transfer import BlobTransfer
    from archivist.sdk.context import Context

SCHEME = "wandb-artifact"
DRAFT_SCHEME = "wandb-client-artifact"
_MAX_HOPS = 32
_MANIFESTS_KEPT = 16


def artifact_ref(version_id: str, path: str) -> str:
    return f"{SCHEME}://{version_id}/{path}"


def parse_artifact_ref(uri: str) -> tuple[str, str]:
    """``wandb-artifact://<version id>/<path>`` -> (version id, path)."""
    rest = uri.split("://", 1)[1] if "://" in uri else ""
    version_id, _, path = rest.partition("/")
    if not version_id or not path:
        raise InvalidInputError(
            f"artifact reference {uri!r} is malformed; expected {SCHEME}://<version id>/<path in artifact>"
        )
    return version_id, validate_logical_path(path)


class _ManifestCache:
    """Recently read manifests by manifest digest (content-addressed, so never stale)."""

    def __init__(self) -> None:
        self._manifests: OrderedDict[str, Manifest] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, transfer: BlobTransfer, digest: str) -> Manifest:
        with self._lock:
            manifest = self._manifests.get(digest)
            if manifest is not None:
                self._manifests.move_to_end(digest)
                return manifest
        manifest = Manifest.from_bytes(transfer.read_bytes(digest))
        with self._lock:
            self._manifests[digest] = manifest
            while len(self._manifests) > _MANIFESTS_KEPT:
                self._manifests.popitem(last=False)
        return manifest


_manifests = _ManifestCache()


class ArtifactReferenceHandler:
    """Reads entries of logged versions through the context's backend."""

    scheme = SCHEME
    cache_downloads = False  # the target entry is fetched (and cached) as what it is

    def __init__(self, ctx: Context, handler_for: Callable[[str, Context], ReferenceHandler]) -> None:
        self._ctx = ctx
        self._handler_for = handler_for  # the registry's lookup, for a target that is a reference

    def resolve(self, uri: str) -> tuple[str, Entry]:
        """The version id and entry at the end of a chain of artifact references."""
        seen: set[str] = set()
        while True:
            version_id, path = parse_artifact_ref(uri)
            if uri in seen or len(seen) >= _MAX_HOPS:
                raise InvalidInputError(f"artifact reference {uri!r} is part of a loop or a chain too long")
            seen.add(uri)
            record = self._ctx.backend.get_version(version_id)
            entry = _manifests.get(self._ctx.transfer, record.manifest_digest).get(path)
            if entry is None:
                raise EntryNotFoundError(
                    f"artifact reference {uri!r}: {record.collection}:v{record.version_index} has no {path!r}"
                )
            if entry.ref is None or not entry.ref.startswith(f"{SCHEME}://"):
                return version_id, entry
            uri = entry.ref

    def store(self, uri: str, name: str | None, checksum: bool, max_objects: int) -> list[Entry]:
        version_id, target = self.resolve(uri)
        logical = single_name(name, target.path, uri)
        return [Entry(path=logical, digest=target.digest, size=0, ref=artifact_ref(version_id, target.path))]

    def target_of(self, entry: Entry) -> Entry:
        """The concrete entry an artifact reference stands for, checked against its digest."""
        _version_id, target = self.resolve(entry.ref or "")
        if target.digest != entry.digest:
            raise IntegrityError(
                f"Digest mismatch for reference {entry.path!r}: {entry.ref} has digest "
                f"{target.digest}, logged {entry.digest}"
            )
        return target

    def fetch(self, entry: Entry, dest_path: str, skip_cache: bool) -> None:
        upward_calls.fetch_entry(self._ctx, self.target_of(entry), dest_path, skip_cache)

    def load(self, entry: Entry, dest_path: str) -> None:
        self.fetch(entry, dest_path, skip_cache=False)

    def check(self, entry: Entry) -> str | None:
        try:
            target = self.target_of(entry)
        except ArchivistError as error:
            return error.message
        if target.ref is None:
            return None  # a stored file of an immutable version
        return self._handler_for(target.ref, self._ctx).check(target)

    def records_checksum(self, entry: Entry) -> bool:
        return True


def reference_to_entry(version_id: str | None, path: str, artifact_name: str) -> str:
    """The URI for an entry of a logged artifact (``ArtifactManifestEntry.ref_url()``)."""
    if version_id is None:
        raise ArtifactNotLoggedError(
            f"cannot reference {path!r} of artifact {artifact_name!r}: it is a draft; "
            "log it (and call wait()) before referencing its entries"
        )
    return artifact_ref(version_id, path)
