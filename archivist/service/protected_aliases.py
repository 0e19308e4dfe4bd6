"""Protected aliases of a registry: declaring them (with an optional promotion rule),
removing and listing them (``core.registries.ProtectedAlias``). Who may move them, and what
they stop, is ``service.alias_guard``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from archivist.core.errors import NotFoundError
from archivist.core.promotion_rules import parse_rule
from archivist.core.registries import ProtectedAlias, validate_protected_alias
from archivist.metadata.schema import protected_aliases
from archivist.service.timestamps import utc_now


def protected_of(connection: Connection, registry_ids: Sequence[int]) -> dict[int, list[ProtectedAlias]]:
    """The protected aliases of each registry, by alias name."""
    found: dict[int, list[ProtectedAlias]] = {registry_id: [] for registry_id in registry_ids}
    if registry_ids:
        statement = (
            select(protected_aliases)
            .where(protected_aliases.c.registry_id.in_(registry_ids))
            .order_by(protected_aliases.c.alias)
        )
        for row in connection.execute(statement):
            found[row.registry_id].append(ProtectedAlias(row.alias, row.rule))
    return found


def protect_alias(connection: Connection, row: Row[Any], alias: str, rule: str | None) -> None:
    """Protect ``alias`` in the registry, with ``rule`` (None: no rule); protecting it again
    replaces its rule. A rule is checked when a version gets the alias, not now. ``row``:
    the registry's, locked."""
    name = validate_protected_alias(alias)
    text = None if rule is None else parse_rule(rule).text
    now = utc_now()
    key = (protected_aliases.c.registry_id == row.id) & (protected_aliases.c.alias == name)
    if connection.execute(select(protected_aliases.c.alias).where(key)).first() is None:
        connection.execute(
            insert(protected_aliases).values(
                registry_id=row.id, alias=name, rule=text, created_at=now, updated_at=now
            )
        )
    else:
        connection.execute(update(protected_aliases).where(key).values(rule=text, updated_at=now))


def unprotect_alias(connection: Connection, row: Row[Any], alias: str) -> None:
    """Stop protecting ``alias`` in the registry of ``row`` (locked); versions holding it keep
    it, as an ordinary alias."""
    key = (protected_aliases.c.registry_id == row.id) & (protected_aliases.c.alias == alias)
    if connection.execute(delete(protected_aliases).where(key)).rowcount == 0:
        held = [p.alias for p in protected_of(connection, [row.id])[row.id]]
        raise NotFoundError(
            f"alias {alias!r} is not protected in registry {row.name!r}; its protected aliases are {held}"
        )


def forget_registry(connection: Connection, registry_id: int) -> None:
    """Drop a deleted registry's protected aliases."""
    connection.execute(delete(protected_aliases).where(protected_aliases.c.registry_id == registry_id))
