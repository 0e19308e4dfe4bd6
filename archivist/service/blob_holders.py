"""Why the collector keeps a blob (``archivist gc --explain``): everything that holds it.

The holders are those ``gc`` counts: versions whose blob rows name it or whose manifest it
is (soft-deleted ones until purged), versions that reach such a row through their base
chain (``blob_rows``), run files, and uploads not yet committed (``blob_access``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, or_, select

from archivist.core.collector import BlobHolders
from archivist.core.digest_checks import validate_digest
from archivist.core.models import VersionState
from archivist.metadata.schema import (
    blob_grants,
    entities,
    projects,
    run_files,
    runs,
    version_blobs,
    versions,
)
from archivist.service import blob_access
from archivist.service.purge import version_names
from archivist.service.timestamps import utc_now
from archivist.storage.base import BlobStore

_LISTED = 1000
"""Holders listed per kind at most (the counts stay right: the rest is summarised)."""


def explain_blob(connection: Connection, store: BlobStore, digest: str) -> BlobHolders:
    digest = validate_digest(digest)
    direct = list(
        connection.execute(
            select(versions.c.id)
            .where(
                or_(
                    versions.c.manifest_digest == digest,
                    versions.c.id.in_(
                        select(version_blobs.c.version_id).where(version_blobs.c.digest == digest)
                    ),
                )
            )
            .order_by(versions.c.id)
        ).scalars()
    )
    size = store.sizes([digest]).get(digest)
    return BlobHolders(
        digest=digest,
        stored=size is not None,
        size=size,
        versions=tuple(_marked(connection, direct[:_LISTED])) + _more(len(direct)),
        chains=_chains(connection, direct),
        run_files=_run_files(connection, digest),
        upload_grants=_live_grants(connection, digest),
    )


def _live_grants(connection: Connection, digest: str) -> int:
    live = utc_now() - dt.timedelta(seconds=blob_access.GRANT_LIFETIME_SECONDS)
    statement = select(func.count()).where(blob_grants.c.digest == digest, blob_grants.c.created_at > live)
    return int(connection.execute(statement).scalar_one())


def _marked(connection: Connection, ids: list[int]) -> list[str]:
    deleted = set(
        connection.execute(
            select(versions.c.id).where(
                versions.c.id.in_(ids), versions.c.state == VersionState.DELETED.value
            )
        ).scalars()
    )
    names = version_names(connection, sorted(ids))
    return [f"{name} (deleted)" if i in deleted else name for i, name in zip(sorted(ids), names, strict=True)]


def _chains(connection: Connection, direct: list[int]) -> tuple[str, ...]:
    """Versions built on a direct holder (down the ``base_version_id`` links), each with the
    holder it reaches: ``entity/project/name:v5 via v1``."""
    if not direct:
        return ()
    down = (
        select(versions.c.id.label("id"), versions.c.id.label("top"))
        .where(versions.c.id.in_(direct))
        .cte("down", recursive=True)
    )
    down = down.union(select(versions.c.id, down.c.top).where(versions.c.base_version_id == down.c.id))
    pairs = [
        (i, top)
        for i, top in connection.execute(select(down.c.id, down.c.top).order_by(down.c.id)).all()
        if i not in direct
    ]
    shown = pairs[:_LISTED]
    names = dict(
        zip(
            sorted({i for i, _ in shown}),
            version_names(connection, sorted({i for i, _ in shown})),
            strict=True,
        )
    )
    tops = dict(
        zip(
            sorted({t for _, t in shown}),
            version_names(connection, sorted({t for _, t in shown})),
            strict=True,
        )
    )
    return tuple(f"{names[i]} via {tops[t].rpartition(':')[2]}" for i, t in shown) + _more(len(pairs))


def _run_files(connection: Connection, digest: str) -> tuple[str, ...]:
    rows = connection.execute(
        select(entities.c.name, projects.c.name, runs.c.run_id, run_files.c.path)
        .join(runs, runs.c.id == run_files.c.run_pk)
        .join(projects, projects.c.id == runs.c.project_id)
        .join(entities, entities.c.id == projects.c.entity_id)
        .where(run_files.c.digest == digest)
        .order_by(run_files.c.path)
        .limit(_LISTED + 1)
    ).all()
    return tuple(f"{e}/{p}/{r}:{path}" for e, p, r, path in rows[:_LISTED]) + _more(len(rows))


def _more(count: int) -> tuple[str, ...]:
    return (f"... and {count - _LISTED} more",) if count > _LISTED else ()
