"""Logging artifacts through nothing but the Backend protocol and its blob calls, as the
SDK does: upload the blobs, upload the manifest, commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from archivist.client.http import HttpBackend
from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer
from archivist.core.backend import Backend
from archivist.core.manifest import Entry, Manifest, hash_bytes
from archivist.core.models import CommitRequest, CommitResult
from archivist.core.progress import Progress

ENTITY = "ent"
PROJECT = "proj"


class BlobCalls(Protocol):
    """The blob calls both a BlobTransfer and the Service (a server's side of them) make."""

    def missing_blobs(self, digests: Sequence[str]) -> list[str]: ...

    def upload_bytes(self, digest: str, data: bytes) -> None: ...

    def upload_files(
        self,
        files: Sequence[tuple[str, str]],
        progress: Progress | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None: ...

    def read_bytes(self, digest: str) -> bytes: ...

    def download_blob(self, digest: str, dest_path: str, progress: Progress | None = None) -> None: ...


def blobs_of(backend: Backend) -> BlobCalls:
    """The blob calls that go with ``backend``: a server's through an HttpBlobTransfer over
    the same session, the in-process Service's its own."""
    if isinstance(backend, HttpBackend):
        return HttpBlobTransfer(backend)
    return backend  # type: ignore[return-value]  # the Service: it has them itself


def store_manifest(backend: Backend, manifest: Manifest) -> str:
    data = manifest.to_bytes()
    digest = hash_bytes(data)
    blobs_of(backend).upload_bytes(digest, data)
    return digest


def store_files(backend: Backend, files: Mapping[str, bytes]) -> Manifest:
    """Upload every file's bytes and return the manifest naming them (not uploaded)."""
    entries = []
    blobs = blobs_of(backend)
    for path, data in files.items():
        digest = hash_bytes(data)
        blobs.upload_bytes(digest, data)
        entries.append(Entry(path=path, digest=digest, size=len(data)))
    return Manifest(entries)


def commit_manifest(
    backend: Backend, name: str, manifest: Manifest, type_name: str = "dataset", **fields: Any
) -> CommitResult:
    fields.setdefault("entity", ENTITY)
    fields.setdefault("project", PROJECT)
    manifest_digest = store_manifest(backend, manifest)
    return backend.commit_version(
        CommitRequest(
            name=name, type=type_name, digest=manifest.digest(), manifest_digest=manifest_digest, **fields
        )
    )


def log_files(
    backend: Backend, name: str, files: Mapping[str, bytes], type_name: str = "dataset", **fields: Any
) -> CommitResult:
    """Log ``files`` (logical path -> bytes) as a version of ``name``."""
    return commit_manifest(backend, name, store_files(backend, files), type_name, **fields)


def log_text(backend: Backend, name: str, text: str, **fields: Any) -> CommitResult:
    """Log a one-file version whose content is ``text``."""
    return log_files(backend, name, {"data.txt": text.encode()}, **fields)
