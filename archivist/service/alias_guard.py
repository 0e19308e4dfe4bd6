"""What a registry's protected aliases stop (SPEC §7 and §6).

- Only a registry admin gives a protected alias to a version or takes it away (moving it
  does both); a version failing the alias's promotion rule gets it only when an admin
  overrides the rule with a reason, which is recorded (``service.promotion_overrides``).
- A version holding a protected alias is unlinked or deleted only by a registry admin.
- The source of a link holding a protected alias is deleted by nobody until the alias is
  removed from the link.

Alias changes are checked by comparing who held each protected alias of the collection
before the change and after it, in the same transaction (so every way of moving an alias
is covered: a save of a version's aliases, a link with aliases, moving one from another
version).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, select

from archivist.core.artifact_events import EventType
from archivist.core.errors import (
    InvalidInputError,
    PermissionDeniedError,
    PromotionRuleError,
    ProtectedAliasError,
)
from archivist.core.models import VersionState
from archivist.core.promotion_rules import parse_rule
from archivist.metadata.schema import aliases, collections, protected_aliases, registries, runs, versions
from archivist.service.artifact_events import record_event
from archivist.service.promotion_overrides import record_override
from archivist.service.protected_aliases import protected_of
from archivist.service.records import versions_by_id

MAX_REASON_LENGTH = 2000


@dataclass(frozen=True)
class Actor:
    """Who makes the change: their name (kept with an override) and whether they are an
    admin of a registry (``Access.registry_role``; everyone on the embedded store)."""

    user: str
    is_registry_admin: Callable[[str], bool]


def validate_override_reason(reason: object) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInputError(
            f"override_reason must be a non-empty string saying why the rule is overridden, got {reason!r}"
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInputError(
            f"override_reason is {len(reason)} characters long; at most {MAX_REASON_LENGTH} are allowed"
        )
    return reason.strip()


def registry_of_collection(connection: Connection, collection_id: int) -> Row[Any] | None:
    """The registry whose collection this is; None for a collection of an ordinary project."""
    statement = (
        select(registries)
        .join(collections, collections.c.project_id == registries.c.project_id)
        .where(collections.c.id == collection_id)
    )
    return connection.execute(statement).first()


def _protected_join(statement: Select[Any], version_collection: Any) -> Select[Any]:
    """Join aliases held by versions of ``version_collection`` to the protected aliases of
    the registry holding that collection."""
    return (
        statement.join(collections, collections.c.id == version_collection)
        .join(registries, registries.c.project_id == collections.c.project_id)
        .join(
            protected_aliases,
            and_(
                protected_aliases.c.registry_id == registries.c.id,
                protected_aliases.c.alias == aliases.c.alias,
            ),
        )
    )


def holders(connection: Connection, collection_id: int | None) -> dict[str, int]:
    """The version of the collection holding each protected alias of its registry."""
    if collection_id is None:
        return {}
    statement = _protected_join(select(aliases.c.alias, aliases.c.version_id), aliases.c.collection_id)
    rows = connection.execute(statement.where(aliases.c.collection_id == collection_id))
    return {alias: version_id for alias, version_id in rows}


def check_moves(
    connection: Connection,
    actor: Actor,
    collection_id: int,
    before: Mapping[str, int],
    override_reason: object = None,
) -> None:
    """Refuse the alias changes just made in the collection (``before``: ``holders`` ahead of
    them) unless the actor may make them; record an admin's overrides of promotion rules."""
    reason = validate_override_reason(override_reason)
    registry = registry_of_collection(connection, collection_id)
    if reason is not None and registry is None:
        raise InvalidInputError("override_reason is for the protected aliases of a registry's collections")
    if registry is None:
        return
    if reason is not None and not actor.is_registry_admin(registry.name):
        raise PermissionDeniedError(
            f"user {actor.user!r} may not override a promotion rule of registry {registry.name!r}: "
            "that needs the admin role in the registry"
        )
    rules = {p.alias: p.rule for p in protected_of(connection, [registry.id])[registry.id]}
    after = holders(connection, collection_id)
    moved = sorted(alias for alias in rules if before.get(alias) != after.get(alias))
    if moved and not actor.is_registry_admin(registry.name):
        raise PermissionDeniedError(
            f"user {actor.user!r} may not add or remove the protected alias {moved[0]!r} of registry "
            f"{registry.name!r}: that needs the admin role in the registry; ask a registry admin to move it"
        )
    for alias in moved:
        rule, version_id = rules[alias], after.get(alias)
        if rule is None or version_id is None:
            continue
        failures = _failures(connection, version_id, rule)
        if not failures:
            continue
        record = versions_by_id(connection, [version_id])[0]
        name = f"{record.project}/{record.collection}:{record.version}"
        if reason is None:
            raise PromotionRuleError(
                f"{name!r} may not get the protected alias {alias!r}: it fails the promotion rule "
                f"{rule!r}: {'; '.join(failures)}. Promote a version that meets the rule, or, as a "
                "registry admin, pass override_reason='...' to promote it anyway (the override is recorded)"
            )
        record_override(
            connection,
            version_id=version_id,
            registry=registry.name,
            collection=record.collection,
            version_index=record.version_index,
            alias=alias,
            rule=rule,
            failures=failures,
            reason=reason,
            user=actor.user,
        )
        note = f"{reason} (failed: {'; '.join(failures)})"
        record_event(
            connection,
            EventType.OVERRIDE_PROMOTION_RULE,
            collection_id,
            version_id=version_id,
            alias=alias,
            note=note,
        )


def _failures(connection: Connection, version_id: int, rule: str) -> list[str]:
    """The comparisons of ``rule`` the version fails, over its metadata and the summary of
    the run that logged it."""
    statement = (
        select(versions.c.metadata_json, runs.c.summary)
        .select_from(versions)
        .outerjoin(runs, runs.c.id == versions.c.producer_run_id)
        .where(versions.c.id == version_id)
    )
    metadata, summary = connection.execute(statement).one()
    return parse_rule(rule).failures(metadata or {}, summary)


def check_deletion(connection: Connection, actor: Actor, version_ids: Iterable[int] | Select[Any]) -> None:
    """Refuse to delete (or unlink) these versions when one holds a protected alias and the
    actor is no admin of its registry, or when a link of one holds a protected alias."""
    ids = version_ids if isinstance(version_ids, Select) else list(version_ids)
    held = (
        _protected_join(
            select(aliases.c.alias, aliases.c.version_id, registries.c.name), aliases.c.collection_id
        )
        .where(aliases.c.version_id.in_(ids))
        .order_by(aliases.c.alias)
    )
    for alias, version_id, registry in connection.execute(held):
        if not actor.is_registry_admin(registry):
            raise PermissionDeniedError(
                f"user {actor.user!r} may not unlink or delete {_name(connection, version_id)!r}: it holds "
                f"the protected alias {alias!r} of registry {registry!r}, and only a registry admin may "
                "unlink or delete it; ask a registry admin"
            )
    link = versions.alias()
    linked = (
        select(aliases.c.alias, link.c.id, link.c.source_version_id, registries.c.name)
        .select_from(link)
        .join(aliases, aliases.c.version_id == link.c.id)
    )
    linked = _protected_join(linked, link.c.collection_id).where(
        link.c.source_version_id.in_(ids), link.c.state != VersionState.DELETED.value
    )
    found = connection.execute(linked.order_by(aliases.c.alias).limit(1)).first()
    if found is not None:
        source, link_name = _name(connection, found.source_version_id), _name(connection, found.id)
        raise ProtectedAliasError(
            f"cannot delete {source!r}: its link {link_name!r} holds the protected alias "
            f"{found.alias!r} of registry {found.name!r}; nobody may delete the source of a protected "
            "version until a registry admin removes the alias from the link "
            "(link.aliases.remove(...); link.save())"
        )


def live_versions(collection_id: int) -> Select[Any]:
    """The ids of the collection's versions that are not deleted (what deleting it deletes)."""
    return select(versions.c.id).where(
        versions.c.collection_id == collection_id, versions.c.state != VersionState.DELETED.value
    )


def _name(connection: Connection, version_id: int) -> str:
    record = versions_by_id(connection, [version_id])[0]
    return f"{record.qualified_collection}:{record.version}"
