"""Storage accounting: the bytes an entity, a project or a collection holds in the store.

A scope holds the blobs the collector keeps for it (``gc``): what the blob rows and
manifests of its versions name (soft-deleted versions too, until purged; base chains are
inside a collection, so a scope holds whole chains), plus what its live links in a
registry reach (their sources' chains). A blob is *shared* when something outside the
scope holds it too: a version of another collection, a run file of another project, an
upload not yet committed, or a link's source. The rest is *exclusive*: what deleting the
scope (and collecting) would free.

On a server a user learns only about holders they may read (``blob_access``): a blob
another entity also stores counts as exclusive for a user who cannot read that entity,
so the split never tells whether someone else holds bytes you hold (dedup never leaks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, exists, func, or_, select, union

from archivist.core.collector import StorageUsage
from archivist.core.errors import NotFoundError
from archivist.core.models import VersionState
from archivist.metadata.dialects import value_set
from archivist.metadata.schema import (
    blob_grants,
    collections,
    entities,
    projects,
    run_files,
    runs,
    version_blobs,
    versions,
)
from archivist.service import blob_access
from archivist.service.authorization import Access
from archivist.service.collections import require_collection
from archivist.service.namespaces import find_project_id
from archivist.service.timestamps import utc_now
from archivist.storage.base import BlobStore

_CHUNK = 20_000


def storage_usage(
    connection: Connection,
    store: BlobStore,
    access: Access | None,
    entity: str,
    project: str | None = None,
    collection: str | None = None,
) -> StorageUsage:
    scope, scope_projects, scope_collections = _scope(connection, entity, project, collection)
    owned = select(versions.c.id).where(versions.c.collection_id.in_(scope_collections))
    count = connection.execute(select(func.count()).select_from(owned.subquery())).scalar_one()
    held = set(
        connection.execute(
            union(
                select(version_blobs.c.digest).where(version_blobs.c.version_id.in_(owned)),
                select(versions.c.manifest_digest).where(versions.c.id.in_(owned)),
            )
        ).scalars()
    )
    borrowed = set(
        connection.execute(
            select(version_blobs.c.digest).where(
                version_blobs.c.version_id.in_(_linked_chains(scope_collections))
            )
        ).scalars()
    )
    digests = sorted(held | borrowed)
    sizes: dict[str, int] = {}
    for start in range(0, len(digests), _CHUNK):
        sizes.update(store.sizes(digests[start : start + _CHUNK]))
    shared = borrowed | _held_outside(connection, access, held - borrowed, scope_projects, scope_collections)
    total = sum(sizes.values())
    shared_bytes = sum(sizes.get(digest, 0) for digest in shared)
    return StorageUsage(scope, int(count), len(sizes), total, total - shared_bytes, shared_bytes)


def _scope(
    connection: Connection, entity: str, project: str | None, collection: str | None
) -> tuple[str, Select[Any], Select[Any]]:
    """The scope's name, its projects (whose runs are inside) and its collections."""
    if collection is not None:
        if project is None:
            raise NotFoundError(f"a collection needs its project: '{entity}/?/{collection}'")
        row = require_collection(connection, entity, project, collection)
        none = select(projects.c.id).where(projects.c.id.is_(None))
        return (
            f"{entity}/{project}/{collection}",
            none,
            select(collections.c.id).where(collections.c.id == row.id),
        )
    if project is not None:
        project_id = find_project_id(connection, entity, project)
        if project_id is None:
            raise NotFoundError(f"project '{entity}/{project}' not found")
        chosen = select(projects.c.id).where(projects.c.id == project_id)
        return (
            f"{entity}/{project}",
            chosen,
            select(collections.c.id).where(collections.c.project_id == project_id),
        )
    if connection.execute(select(entities.c.id).where(entities.c.name == entity)).scalar() is None:
        raise NotFoundError(f"entity {entity!r} not found")
    chosen = (
        select(projects.c.id)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(entities.c.name == entity)
    )
    return entity, chosen, select(collections.c.id).where(collections.c.project_id.in_(chosen))


def _linked_chains(scope_collections: Select[Any]) -> Any:
    """Version ids whose rows the scope's live links reach: each source and its base chain."""
    sources = select(versions.c.source_version_id).where(
        versions.c.collection_id.in_(scope_collections),
        versions.c.source_version_id.is_not(None),
        versions.c.state != VersionState.DELETED.value,
    )
    chain = (
        select(versions.c.id, versions.c.base_version_id)
        .where(versions.c.id.in_(sources))
        .cte("usage_chain", recursive=True)
    )
    base = versions.alias("usage_base")
    chain = chain.union_all(
        select(base.c.id, base.c.base_version_id).where(base.c.id == chain.c.base_version_id)
    )
    return select(chain.c.id)


def _held_outside(
    connection: Connection,
    access: Access | None,
    digests: Iterable[str],
    scope_projects: Select[Any],
    scope_collections: Select[Any],
) -> set[str]:
    """The blobs among ``digests`` something outside the scope holds, that the caller may see."""
    visible_projects = visible_collections = None
    user_id = None
    if not blob_access.sees_every_blob(access):
        assert access is not None
        user_id = access.principal.user_id
        visible_projects, visible_collections = blob_access.readable_scopes(access)
    live_grants = utc_now() - dt.timedelta(seconds=blob_access.GRANT_LIFETIME_SECONDS)
    wanted = sorted(digests)
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        asked = value_set(connection, wanted[start : start + _CHUNK])
        digest = asked.c.value
        other: ColumnElement[bool] = versions.c.collection_id.not_in(scope_collections)
        if visible_collections is not None:
            other = other & versions.c.collection_id.in_(visible_collections)
        named = exists().where(
            version_blobs.c.digest == digest, versions.c.id == version_blobs.c.version_id, other
        )
        manifest = exists().where(versions.c.manifest_digest == digest, other)
        run_elsewhere: ColumnElement[bool] = runs.c.project_id.not_in(scope_projects)
        if visible_projects is not None:
            run_elsewhere = run_elsewhere & runs.c.project_id.in_(visible_projects)
        saved = exists().where(run_files.c.digest == digest, runs.c.id == run_files.c.run_pk, run_elsewhere)
        granted = exists().where(blob_grants.c.digest == digest, blob_grants.c.created_at > live_grants)
        if user_id is not None:
            granted = exists().where(
                blob_grants.c.digest == digest,
                blob_grants.c.created_at > live_grants,
                blob_grants.c.user_id == user_id,
            )
        statement = select(digest).select_from(asked).where(or_(named, manifest, saved, granted))
        found.update(connection.execute(statement).scalars())
    return found
