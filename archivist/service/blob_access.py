"""Which blobs a user of a server may read, and the uploads they hold.

(A link in a registry where the user is a viewer or above counts as a version they may
read: its source's blobs are readable through it. A restricted viewer of the registry
reads the link's manifest, its metadata, but none of its files.)

Blobs are stored once per store, but a blob belongs to whoever can read it: a user reads
a blob when a version of an entity they have a role in names it (a manifest entry or the
manifest itself), when a run of such an entity saved it as a file, or when they uploaded
those very bytes themselves (a *grant*, below). Every answer about blobs -- presence,
bytes, download URLs -- goes through ``readable``, so knowing a digest is never enough to
learn that a blob exists, let alone to read it. Dedup across entities may cost an upload
(the caller proves they hold the bytes by sending them), never a leak.

A grant (``blob_grants``) records bytes a user uploaded that no commit of theirs
references yet. It is *reserved* (unverified) when an upload is planned and *verified*
once the server hashed the bytes; only verified grants let the user read. A commit (or
run file) that references the blob releases it. Until then grants count against the
user's upload quota, and they expire after ``GRANT_LIFETIME_SECONDS``: the quota is then
free again, and the collector may reclaim bytes nothing else references.

``access`` None (the embedded store, maintenance) sees every blob and holds no grants.
Server administrators see every blob and have no upload quota, but their uploads hold
grants too: a grant is also what keeps an upload from the collector until its commit,
whatever grace the server collects with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from archivist.core.accounts import VIEWER
from archivist.core.errors import BlobNotFoundError, InvalidInputError, UploadQuotaError
from archivist.core.models import VersionState
from archivist.core.registries import RESTRICTED_VIEWER
from archivist.core.sizes import format_size
from archivist.metadata.dialects import value_set
from archivist.metadata.schema import (
    blob_grants,
    collections,
    entity_members,
    projects,
    run_files,
    runs,
    version_blobs,
    versions,
)
from archivist.service.authorization import Access
from archivist.service.timestamps import utc_now

STATEMENT_DIGESTS = 50_000
"""Digests per statement, passed as one parameter (``metadata.dialects.value_set``)."""
GRANT_LIFETIME_SECONDS = 24 * 3600
"""An upload no commit referenced within this time stops being the uploader's to read."""


def sees_every_blob(access: Access | None) -> bool:
    return access is None or access.sees_everything


def readable(connection: Connection, access: Access | None, digests: Iterable[str]) -> set[str]:
    """The blobs among ``digests`` the user may read (see the module docstring): one statement
    per ``STATEMENT_DIGESTS``, each digest looked up by index in the user's own uploads, then
    in the versions and run files of the entities they have a role in."""
    wanted = list(dict.fromkeys(digests))
    if sees_every_blob(access):
        return set(wanted)
    assert access is not None
    user_id = access.principal.user_id
    their_projects, listed = readable_scopes(access)
    their_collections = select(collections.c.id).where(collections.c.project_id.in_(their_projects))
    downloadable_links = select(collections.c.id).where(
        collections.c.project_id.in_(access.registry_projects(VIEWER))
    )
    through_links = _linked_chain(downloadable_links)
    found: set[str] = set()
    for start in range(0, len(wanted), STATEMENT_DIGESTS):
        asked = value_set(connection, wanted[start : start + STATEMENT_DIGESTS])
        digest = asked.c.value
        uploaded = exists().where(
            blob_grants.c.user_id == user_id,
            blob_grants.c.digest == digest,
            blob_grants.c.verified,
            blob_grants.c.created_at > _cutoff(),
        )
        named = exists().where(
            version_blobs.c.digest == digest,
            versions.c.id == version_blobs.c.version_id,
            versions.c.collection_id.in_(their_collections),
        )
        linked = exists().where(
            version_blobs.c.digest == digest, version_blobs.c.version_id.in_(select(through_links.c.id))
        )
        manifest = exists().where(versions.c.manifest_digest == digest, versions.c.collection_id.in_(listed))
        saved = exists().where(
            run_files.c.digest == digest,
            runs.c.id == run_files.c.run_pk,
            runs.c.project_id.in_(their_projects),
        )
        statement = select(digest).select_from(asked).where(or_(uploaded, named, linked, manifest, saved))
        found.update(connection.execute(statement).scalars())
    return found


def readable_scopes(access: Access) -> tuple[Select[Any], Select[Any]]:
    """The ids of the projects whose runs, and of the collections whose versions, the user
    may see: those of the entities they have a role in, and the collections of the
    registries they have a role in (``restricted_viewer`` included: metadata only)."""
    their_projects = select(projects.c.id).where(
        projects.c.entity_id.in_(
            select(entity_members.c.entity_id).where(entity_members.c.user_id == access.principal.user_id)
        )
    )
    listed = select(collections.c.id).where(
        or_(
            collections.c.project_id.in_(their_projects),
            collections.c.project_id.in_(access.registry_projects(RESTRICTED_VIEWER)),
        )
    )
    return their_projects, listed


def _linked_chain(readable_collections: Select[Any]) -> Any:
    """The versions whose blob rows a readable link reaches: each link's source and the
    source's base chain (``service.blob_rows``), as a recursive CTE of version ids."""
    sources = select(versions.c.source_version_id).where(
        versions.c.collection_id.in_(readable_collections),
        versions.c.source_version_id.is_not(None),
        versions.c.state != VersionState.DELETED.value,
    )
    chain = (
        select(versions.c.id, versions.c.base_version_id)
        .where(versions.c.id.in_(sources))
        .cte("linked_chain", recursive=True)
    )
    base = versions.alias("chain_base")
    return chain.union_all(
        select(base.c.id, base.c.base_version_id).where(base.c.id == chain.c.base_version_id)
    )


def require_readable(connection: Connection, access: Access | None, digests: Collection[str]) -> None:
    """``BlobNotFoundError`` naming a blob the user may not read, worded exactly as for a blob
    the store lacks (the two are not told apart)."""
    hidden = set(digests) - readable(connection, access, digests)
    if hidden:
        example = sorted(hidden)[0]
        raise BlobNotFoundError(f"blob {example} not found" + _more(len(hidden)))


def reserve(
    connection: Connection, access: Access | None, sizes: Mapping[str, int], quota: int | None
) -> None:
    """Count the planned uploads ``sizes`` (digest -> bytes) against the user's quota (an
    administrator has none); ``UploadQuotaError`` when they would exceed it (nothing is
    reserved then)."""
    if access is None or not sizes:
        return
    user_id = access.principal.user_id
    connection.execute(delete(blob_grants).where(_expired_grants_of(user_id)))
    held = _granted(connection, user_id, sizes)
    new = {digest: size for digest, size in sizes.items() if digest not in held}
    if not new:
        return
    if quota is not None and not access.sees_everything:
        used = connection.execute(
            select(func.coalesce(func.sum(blob_grants.c.size), 0)).where(blob_grants.c.user_id == user_id)
        ).scalar_one()
        wanted = sum(new.values())
        if used + wanted > quota:
            raise UploadQuotaError(
                f"user {access.user!r} has {format_size(used)} of uploads that no commit references yet; "
                f"{format_size(wanted)} more would exceed the upload quota of {format_size(quota)}. "
                "Commit what was uploaded (or wait a day for old uploads to expire), or ask the "
                "server's admin to raise --upload-quota"
            )
    now = utc_now()
    connection.execute(
        insert(blob_grants),
        [
            {"user_id": user_id, "digest": digest, "size": size, "verified": False, "created_at": now}
            for digest, size in new.items()
        ],
    )


def require_reserved(connection: Connection, access: Access | None, digests: Iterable[object]) -> None:
    """Direct uploads are completed only by the user whose upload plan reserved them."""
    if sees_every_blob(access):
        return
    assert access is not None
    asked = [digest for digest in digests if isinstance(digest, str)]
    unplanned = set(asked) - _granted(connection, access.principal.user_id, asked)
    if unplanned:
        raise InvalidInputError(
            f"blob {sorted(unplanned)[0]} was not planned for upload by user {access.user!r}"
            f"{_more(len(unplanned))}; ask for an upload plan (POST /blobs/upload-plan) first"
        )


def confirm(connection: Connection, access: Access | None, sizes: Mapping[str, int]) -> None:
    """The server hashed these uploaded bytes: the user may read them from now on, and the
    collector keeps them until a commit references them (or the grant expires)."""
    if access is None or not sizes:
        return
    user_id = access.principal.user_id
    held = _granted(connection, user_id, sizes)
    now = utc_now()
    for part in _parts(sorted(held)):
        connection.execute(
            update(blob_grants)
            .where(blob_grants.c.user_id == user_id, blob_grants.c.digest.in_(_values(connection, part)))
            .values(verified=True, created_at=now)
        )
    rows = [
        {"user_id": user_id, "digest": digest, "size": size, "verified": True, "created_at": now}
        for digest, size in sizes.items()
        if digest not in held
    ]
    if rows:
        connection.execute(insert(blob_grants), rows)


def release(connection: Connection, access: Access | None, digests: Collection[str]) -> None:
    """A commit of the user references these blobs now: they no longer count as uploads."""
    if access is None or not digests:
        return
    user_id = access.principal.user_id
    for part in _parts(sorted(digests)):
        connection.execute(
            delete(blob_grants).where(
                blob_grants.c.user_id == user_id, blob_grants.c.digest.in_(_values(connection, part))
            )
        )


def granted_blobs(connection: Connection, digests: Collection[str]) -> set[str]:
    """The blobs among ``digests`` some live grant holds (the collector keeps those)."""
    cutoff = _cutoff()
    found: set[str] = set()
    for part in _parts(sorted(digests)):
        statement = select(blob_grants.c.digest).where(
            blob_grants.c.digest.in_(_values(connection, part)), blob_grants.c.created_at > cutoff
        )
        found.update(connection.execute(statement).scalars())
    return found


def drop_expired_grants(connection: Connection) -> int:
    """Forget every grant older than ``GRANT_LIFETIME_SECONDS`` (the collector's first step):
    their quota is free again, and bytes nothing else references can be collected."""
    return connection.execute(delete(blob_grants).where(blob_grants.c.created_at <= _cutoff())).rowcount


def _granted(connection: Connection, user_id: int, digests: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for part in _parts(sorted(digests)):
        statement = select(blob_grants.c.digest).where(
            blob_grants.c.user_id == user_id, blob_grants.c.digest.in_(_values(connection, part))
        )
        found.update(connection.execute(statement).scalars())
    return found


def _parts(digests: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(digests), STATEMENT_DIGESTS):
        yield digests[start : start + STATEMENT_DIGESTS]


def _values(connection: Connection, digests: Sequence[str]) -> Select[tuple[str]]:
    """``digests`` as a subquery of one column, for ``IN``."""
    values = value_set(connection, digests)
    return select(values.c.value)


def _cutoff() -> dt.datetime:
    return utc_now() - dt.timedelta(seconds=GRANT_LIFETIME_SECONDS)


def _live_grants_of(user_id: int) -> ColumnElement[bool]:
    return and_(blob_grants.c.user_id == user_id, blob_grants.c.created_at > _cutoff())


def _expired_grants_of(user_id: int) -> ColumnElement[bool]:
    return and_(blob_grants.c.user_id == user_id, blob_grants.c.created_at <= _cutoff())


def _more(count: int) -> str:
    return f" (and {count - 1} more)" if count > 1 else ""
