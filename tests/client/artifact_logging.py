"""Logging artifacts through nothing but the Backend protocol, as the SDK does:
upload the blobs, upload the manifest, commit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archivist.client.backend import Backend
from archivist.core.manifest import Entry, Manifest, hash_bytes
from archivist.core.models import CommitRequest, CommitResult

ENTITY = "ent"
PROJECT = "proj"


def store_manifest(backend: Backend, manifest: Manifest) -> str:
    data = manifest.to_bytes()
    digest = hash_bytes(data)
    backend.upload_bytes(digest, data)
    return digest


def store_files(backend: Backend, files: Mapping[str, bytes]) -> Manifest:
    """Upload every file's bytes and return the manifest naming them (not uploaded)."""
    entries = []
    for path, data in files.items():
        digest = hash_bytes(data)
        backend.upload_bytes(digest, data)
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
