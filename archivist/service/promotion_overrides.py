"""Overrides of promotion rules: the durable, append-only record of each time a registry
admin gave a protected alias to a version that failed the alias's rule, and why.

``record_override`` is the one writer (the audit trail of alias moves reads these rows too)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from archivist.core.registries import PromotionOverride
from archivist.metadata.schema import promotion_overrides
from archivist.service.timestamps import to_iso, utc_now


def record_override(
    connection: Connection,
    *,
    version_id: int,
    registry: str,
    collection: str,
    version_index: int,
    alias: str,
    rule: str,
    failures: Sequence[str],
    reason: str,
    user: str,
) -> None:
    """Append the override, in the transaction that gives the alias."""
    connection.execute(
        insert(promotion_overrides).values(
            version_id=version_id,
            registry=registry,
            collection=collection,
            version_index=version_index,
            alias=alias,
            rule=rule,
            failures=list(failures),
            reason=reason,
            user_name=user,
            created_at=utc_now(),
        )
    )


def overrides_of(connection: Connection, version_id: int) -> list[PromotionOverride]:
    """The overrides recorded for a version, oldest first."""
    statement = (
        select(promotion_overrides)
        .where(promotion_overrides.c.version_id == version_id)
        .order_by(promotion_overrides.c.id)
    )
    return [
        PromotionOverride(
            version_id=str(row.version_id),
            registry=row.registry,
            collection=row.collection,
            version_index=row.version_index,
            alias=row.alias,
            rule=row.rule,
            failures=tuple(row.failures),
            reason=row.reason,
            user=row.user_name,
            created_at=to_iso(row.created_at),
        )
        for row in connection.execute(statement)
    ]
