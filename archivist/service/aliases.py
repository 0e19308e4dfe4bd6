"""Aliases: each names at most one version of its collection; assigning an alias
that another version holds moves it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, delete, insert, select

from archivist.core.models import VersionState
from archivist.core.paths import LATEST
from archivist.metadata.schema import aliases, versions
from archivist.service.artifact_events import record_alias_moves, record_alias_removals


def aliases_of(connection: Connection, version_id: int) -> list[str]:
    statement = select(aliases.c.alias).where(aliases.c.version_id == version_id).order_by(aliases.c.id)
    return list(connection.execute(statement).scalars())


def assign_aliases(connection: Connection, collection_id: int, version_id: int, names: Sequence[str]) -> None:
    """Point every alias in ``names`` at the version, taking it from whichever version had it."""
    held = set(aliases_of(connection, version_id))
    take_aliases(connection, collection_id, version_id, [name for name in names if name not in held])


def take_aliases(connection: Connection, collection_id: int, version_id: int, names: Sequence[str]) -> None:
    """Point aliases the version does not hold yet at it, taking them from other versions."""
    moving = list(dict.fromkeys(names))
    if not moving:
        return
    taken = connection.execute(
        delete(aliases)
        .where(aliases.c.collection_id == collection_id, aliases.c.alias.in_(moving))
        .returning(aliases.c.alias, aliases.c.version_id)
    )
    holders: dict[str, int] = {name: holder for name, holder in taken}
    connection.execute(
        insert(aliases),
        [{"collection_id": collection_id, "version_id": version_id, "alias": name} for name in moving],
    )
    record_alias_moves(connection, collection_id, version_id, [(name, holders.get(name)) for name in moving])


def replace_aliases(
    connection: Connection, collection_id: int, version_id: int, names: Sequence[str]
) -> None:
    """Make ``names`` the version's whole set of user aliases.

    ``latest`` is managed by the store (it follows commits, dedup hits and deletions), so an
    edit neither adds nor removes it."""
    names = [name for name in names if name != LATEST]
    dropped = [name for name in aliases_of(connection, version_id) if name not in names and name != LATEST]
    if dropped:
        _delete_recorded(connection, (aliases.c.version_id == version_id, aliases.c.alias.in_(dropped)))
    assign_aliases(connection, collection_id, version_id, names)


def remove_aliases(connection: Connection, version_id: int) -> None:
    _delete_recorded(connection, (aliases.c.version_id == version_id,))


def _delete_recorded(connection: Connection, where: tuple[ColumnElement[bool], ...]) -> None:
    """Delete alias rows of one version and record a removal for each row really deleted
    (``RETURNING``: a row another transaction moved meanwhile is not reported as removed)."""
    deleted = connection.execute(
        delete(aliases)
        .where(*where)
        .returning(aliases.c.id, aliases.c.collection_id, aliases.c.version_id, aliases.c.alias)
    )
    rows = sorted(deleted, key=lambda row: row.id)
    if rows:
        names = [row.alias for row in rows]
        record_alias_removals(connection, rows[0].collection_id, rows[0].version_id, names)


def point_latest_at_newest(connection: Connection, collection_id: int) -> None:
    """Give ``latest`` to the newest committed version of the collection, if there is one."""
    newest = connection.execute(
        select(versions.c.id)
        .where(versions.c.collection_id == collection_id, versions.c.state == VersionState.COMMITTED.value)
        .order_by(versions.c.version_index.desc())
        .limit(1)
    ).scalar()
    if newest is not None:
        assign_aliases(connection, collection_id, newest, [LATEST])
