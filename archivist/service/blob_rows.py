"""Which blobs a version's ``version_blobs`` rows name, and which blobs are referenced.

A version extends the rows of a *base*: the collection's newest committed version when it
was committed, unless that one's chain of bases is ``MAX_CHAIN`` long already. Its rows
name only the blobs its base chain's rows do not. So a small change of a 20,000-file
version writes a few hundred rows instead of 20,000, and the digest index, whose
inserts land at random places, grows by the change only.

The rule that keeps blobs safe: every blob of a version is named by a row of that version
or of a version up its base chain. A version's rows stay until the collector purges the
version, and a purge first copies them to the versions built on it (``purge``). Hence the
collector (``referenced``) keeps a blob while any version row names it. A blob that a later
version dropped is therefore kept while an earlier version of the chain (or one built on
it) remains (at most ``MAX_CHAIN`` versions), which errs on the side of keeping bytes.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass

from sqlalchemy import Connection, select

from archivist.core.models import VersionState
from archivist.metadata.dialects import first_column
from archivist.metadata.schema import version_blobs, versions

MAX_CHAIN = 16
"""A version whose base chain is this long gets rows for all its blobs (a new chain)."""
_COMMITTED = VersionState.COMMITTED.value


@dataclass(frozen=True)
class BlobRows:
    base: int | None
    """The version whose rows these extend, or None."""
    rows: list[str]
    """The digests to insert as the new version's rows, sorted."""
    known: Set[str]
    """Blobs the base chain's rows name: the store holds them (the collector keeps them)."""


def plan_rows(connection: Connection, collection_id: int, blobs: Set[str]) -> BlobRows:
    """The rows of a new version of ``collection_id`` holding ``blobs`` (in the commit's
    transaction, with the collector kept out)."""
    newest = connection.execute(
        select(versions.c.id)
        .where(versions.c.collection_id == collection_id, versions.c.state == _COMMITTED)
        .order_by(versions.c.version_index.desc())
        .limit(1)
    ).scalar()
    if newest is None:
        return BlobRows(None, sorted(blobs), frozenset())
    chain = _chain(connection, newest)
    known = set(
        first_column(connection, select(version_blobs.c.digest).where(version_blobs.c.version_id.in_(chain)))
    )
    if len(chain) >= MAX_CHAIN:
        return BlobRows(None, sorted(blobs), known)
    return BlobRows(newest, sorted(blobs - known), known)


def _chain(connection: Connection, version_id: int) -> list[int]:
    """``version_id`` and its bases, up to the first version without one."""
    up = (
        select(versions.c.id, versions.c.base_version_id)
        .where(versions.c.id == version_id)
        .cte("up", recursive=True)
    )
    up = up.union_all(
        select(versions.c.id, versions.c.base_version_id).where(versions.c.id == up.c.base_version_id)
    )
    return list(connection.execute(select(up.c.id)).scalars())


def referenced(connection: Connection, digests: Sequence[str], dead: Set[int] = frozenset()) -> set[str]:
    """The blobs of ``digests`` that a version keeps. Every version row keeps the blobs its
    rows name (soft-deleted ones too: they may be restored; a purge hands a version's rows
    down to the versions built on it, see ``purge``). ``dead``: versions whose rows a purge
    would remove without handing them down (a dry run asks what stays held after it)."""
    rows = connection.execute(
        select(version_blobs.c.digest, version_blobs.c.version_id).where(version_blobs.c.digest.in_(digests))
    )
    return {digest for digest, version_id in rows if version_id not in dead}
