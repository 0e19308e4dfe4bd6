"""What exists near an artifact path that names nothing, for the not-found message.

``resolve_version`` fails with "artifact 'e/p/name:sel' not found"; this module adds
what the caller would look for next, from the same project (which the caller may read,
or the lookup would have been refused before):

- the collection exists: the aliases and versions it has;
- it does not: a collection whose latest version holds a file of that name (W&B's
  own example logs ``example_artifact`` with a file named ``training_dataset``, then
  asks for ``training_dataset:latest``), collections with similar names, else what
  the project holds (or, when the project does not exist, the entity's projects).

Looking into files reads the latest manifest of at most ``SCANNED_COLLECTIONS``
collections, each of at most ``SCANNED_ENTRIES`` entries: the failure stays cheap.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from archivist.core.errors import ArchivistError
from archivist.core.manifest_reader import iter_manifest_entries
from archivist.core.models import VersionState
from archivist.core.names import is_version_alias
from archivist.metadata.schema import LIVE_COLLECTION, aliases, collections, versions
from archivist.service.namespaces import find_project_id, list_projects
from archivist.storage.base import BlobStore

SCANNED_COLLECTIONS = 50
SCANNED_ENTRIES = 20_000
SHOWN = 10
READ_BLOCK = 1 << 20
_COMMITTED = VersionState.COMMITTED.value


def describe_missing(
    connection: Connection, store: BlobStore, entity: str, project: str, name: str, selector: str
) -> str:
    """One clause saying what exists near ``entity/project/name:selector`` ('' if nothing useful)."""
    project_id = find_project_id(connection, entity, project)
    if project_id is None:
        names = list_projects(connection, entity)
        held = f"its projects: {_listed(names)}" if names else "it has no projects"
        return f"entity '{entity}' has no project '{project}'; {held}"
    collection = connection.execute(
        select(collections.c.id).where(
            collections.c.project_id == project_id, collections.c.name == name, LIVE_COLLECTION
        )
    ).scalar()
    if collection is not None:
        return _inside_collection(connection, collection, name, selector)
    return _elsewhere_in_project(connection, store, project_id, entity, project, name)


def _inside_collection(connection: Connection, collection_id: int, name: str, selector: str) -> str:
    indexes = list(
        connection.execute(
            select(versions.c.version_index)
            .where(versions.c.collection_id == collection_id, versions.c.state == _COMMITTED)
            .order_by(versions.c.version_index)
        ).scalars()
    )
    held_aliases = sorted(
        connection.execute(select(aliases.c.alias).where(aliases.c.collection_id == collection_id)).scalars()
    )
    if not indexes:
        return f"'{name}' has no committed versions yet"
    missing = f"no version {selector}" if is_version_alias(selector) else f"no alias '{selector}'"
    return f"'{name}' has {missing}; its aliases: {_listed(held_aliases)}; its versions: {_ranges(indexes)}"


def _elsewhere_in_project(
    connection: Connection, store: BlobStore, project_id: int, entity: str, project: str, name: str
) -> str:
    names = list(
        connection.execute(
            select(collections.c.name)
            .where(collections.c.project_id == project_id, LIVE_COLLECTION)
            .order_by(collections.c.name)
        ).scalars()
    )
    clauses = [f"no artifact '{name}' in {entity}/{project}"]
    found = _holders(connection, store, project_id, name)
    holders = [f"'{holder}' has a file named {path}" for holder, path in found]
    clauses.extend(holders[:3])
    similar = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    if similar:
        clauses.append(f"similar names: {_listed(similar)}")
    elif not holders:
        clauses.append(f"the project holds {_listed(names)}" if names else "the project holds no artifacts")
    return "; ".join(clauses)


def _holders(
    connection: Connection, store: BlobStore, project_id: int, name: str
) -> Iterator[tuple[str, str]]:
    """(collection, path) for the latest versions that hold a file named ``name`` (its
    path, its file name, or its file name without the extension)."""
    newest = (
        select(versions.c.collection_id, func.max(versions.c.version_index).label("top"))
        .join(collections, collections.c.id == versions.c.collection_id)
        .where(versions.c.state == _COMMITTED, collections.c.project_id == project_id, LIVE_COLLECTION)
        .group_by(versions.c.collection_id)
        .subquery()
    )
    statement = (
        select(collections.c.name, versions.c.manifest_digest)
        .join(newest, newest.c.collection_id == collections.c.id)
        .join(
            versions,
            (versions.c.collection_id == newest.c.collection_id) & (versions.c.version_index == newest.c.top),
        )
        .where(
            collections.c.project_id == project_id,
            LIVE_COLLECTION,
            versions.c.file_count <= SCANNED_ENTRIES,
        )
        .order_by(collections.c.updated_at.desc())
        .limit(SCANNED_COLLECTIONS)
    )
    for collection, manifest_digest in connection.execute(statement).all():
        path = _file_named(store, manifest_digest, name)
        if path is not None:
            yield collection, path


def _file_named(store: BlobStore, manifest_digest: str, name: str) -> str | None:
    try:
        with store.open(manifest_digest) as reader:
            for entry in iter_manifest_entries(_blocks(reader)):
                base = posixpath.basename(entry.path)
                if name in (entry.path, base, posixpath.splitext(base)[0]):
                    return entry.path
    except (ArchivistError, OSError):  # a damaged or missing manifest: say nothing of it
        return None
    return None


def _blocks(reader: Any) -> Iterator[bytes]:
    while block := reader.read(READ_BLOCK):
        yield block


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return f"{shown} (and {len(names) - SHOWN} more)" if len(names) > SHOWN else shown or "none"


def _ranges(indexes: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``v0-v2, v5``."""
    spans: list[str] = []
    start = previous = indexes[0]
    for index in [*indexes[1:], None]:
        if index is not None and index == previous + 1:
            previous = index
            continue
        spans.append(f"v{start}" if start == previous else f"v{start}-v{previous}")
        if index is not None:
            start = previous = index
    return _listed(spans)
