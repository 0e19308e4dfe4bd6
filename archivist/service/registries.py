"""Registries: creating, reading, changing and deleting them (``core.registries``).

A registry is a row of settings beside its project ``wandb-registry-<name>`` in the
organization's entity; its accepted types are rows that are added, never removed.
Deleting a registry deletes its collections (their links) and members, and frees its name.
Who holds which role in it is ``service.registry_roles``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from archivist.core.errors import ConflictError, InvalidInputError, NotFoundError
from archivist.core.models import UNSET
from archivist.core.names import validate_description
from archivist.core.registries import (
    CORE_REGISTRIES,
    ORGANIZATION,
    RegistryRecord,
    RegistryUpdate,
    Visibility,
    registry_of_project,
    registry_project,
    validate_artifact_types,
    validate_registry_name,
    validate_visibility,
)
from archivist.core.registry_filters import parse_registry_filter
from archivist.metadata.dialects import insert_ignoring_conflict
from archivist.metadata.registry_filter_sql import registry_filter_clause
from archivist.metadata.run_filter_sql import regex_refusals
from archivist.metadata.schema import (
    LIVE_COLLECTION,
    collections,
    registries,
    registry_members,
    registry_types,
)
from archivist.service.collections import delete_collection
from archivist.service.namespaces import ensure_project
from archivist.service.protected_aliases import forget_registry, protected_of
from archivist.service.timestamps import to_iso, utc_now
from archivist.service.validation import validate_count


def find_registry(connection: Connection, name: object, *, lock: bool = False) -> Row[Any] | None:
    """The registry of that name whatever its case (W&B reads ``wandb-registry-zoo`` for "Zoo");
    its row holds the name as created."""
    if not isinstance(name, str):
        return None
    statement = select(registries).where(func.lower(registries.c.name) == name.lower())
    return connection.execute(statement.with_for_update() if lock else statement).first()


def require_registry(connection: Connection, name: object, *, lock: bool = False) -> Row[Any]:
    row = find_registry(connection, name, lock=lock)
    if row is None:
        raise NotFoundError(f"registry {name!r} not found; 'api.registries()' lists the registries")
    return row


def accepted_types(connection: Connection, registry_id: int) -> tuple[str, ...]:
    statement = (
        select(registry_types.c.type)
        .where(registry_types.c.registry_id == registry_id)
        .order_by(registry_types.c.created_at, registry_types.c.type)
    )
    return tuple(connection.execute(statement).scalars())


def ensure_core_registries(connection: Connection) -> None:
    """Create the core registries that are missing (every store has them from its creation:
    migration 0008, ``metadata.core_rows``); this restores them in a store whose tables were
    emptied, as tests do."""
    for name, types in CORE_REGISTRIES.items():
        if find_registry(connection, name) is None:
            create_registry(connection, name, Visibility.ORGANIZATION.value, None, types, False)


def create_registry(
    connection: Connection,
    name: str,
    visibility: str,
    description: str | None,
    artifact_types: Sequence[str] | None,
    allow_all_artifact_types: bool,
) -> RegistryRecord:
    """A new registry; ``ConflictError`` when one of that name exists (W&B: ValueError)."""
    name = validate_registry_name(name)
    seen = validate_visibility(visibility)
    description = validate_description(description, "registry description")
    types = validate_artifact_types(artifact_types)
    if not isinstance(allow_all_artifact_types, bool):
        raise InvalidInputError(
            f"allow_all_artifact_types must be true or false, got {allow_all_artifact_types!r}"
        )
    _refuse_existing(connection, name)
    project_id = ensure_project(connection, ORGANIZATION, registry_project(name))
    now = utc_now()
    row = {
        "project_id": project_id,
        "name": name,
        "description": description,
        "visibility": seen.value,
        "allow_all_types": allow_all_artifact_types,
        "created_at": now,
        "updated_at": now,
    }
    insert_ignoring_conflict(connection, registries, row, [])  # two creators at once: one wins
    created = require_registry(connection, name)
    if created.created_at != now or created.name != name:
        _refuse_existing(connection, name)
    _add_types(connection, created.id, types)
    return registry_record(connection, name)


def _refuse_existing(connection: Connection, name: str) -> None:
    """``ConflictError`` naming the registry that holds ``name`` whatever its case."""
    existing = find_registry(connection, name)
    if existing is None:
        return
    if existing.name == name:
        raise ConflictError(f"registry {name!r} already exists")
    raise ConflictError(
        f"registry {name!r} differs from the existing registry {existing.name!r} only by case; "
        "registry names match whatever their case"
    )


def canonical_project(connection: Connection, entity: str, project: str) -> str:
    """A registry's project as created (``wandb-registry-Zoo`` for ``wandb-registry-zoo``);
    any other project as it is."""
    name = registry_of_project(project)
    if entity != ORGANIZATION or name is None:
        return project
    row = find_registry(connection, name)
    return project if row is None else registry_project(row.name)


def _add_types(connection: Connection, registry_id: int, types: Sequence[str]) -> None:
    new = [t for t in types if t not in accepted_types(connection, registry_id)]
    if new:
        now = utc_now()
        connection.execute(
            insert(registry_types), [{"registry_id": registry_id, "type": t, "created_at": now} for t in new]
        )


def registry_record(connection: Connection, name: str) -> RegistryRecord:
    return _records(connection, [require_registry(connection, name)])[0]


def list_registries(
    connection: Connection,
    readable: Any = None,
    filter: Mapping[str, Any] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[RegistryRecord]:
    """Registries by name, filtered (``core.registry_filters``, as SQL) and paged;
    ``readable(name) -> bool`` keeps those a user may read (decided on the names first, so
    a page holds only readable registries)."""
    tree = parse_registry_filter("registry", filter)
    validate_count(offset, "offset")
    validate_count(limit, "limit", optional=True)
    statement = select(registries).order_by(registries.c.name)
    if readable is not None:
        names = [name for name in connection.execute(select(registries.c.name)).scalars() if readable(name)]
        statement = statement.where(registries.c.name.in_(names))
    if tree is not None:
        statement = statement.where(registry_filter_clause(connection.dialect.name, "registry", tree))
    statement = statement.offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    with regex_refusals(tree, "registry"):
        rows = connection.execute(statement).all()
    return _records(connection, rows)


def _records(connection: Connection, rows: Sequence[Row[Any]]) -> list[RegistryRecord]:
    types: defaultdict[int, list[str]] = defaultdict(list)
    protected = protected_of(connection, [row.id for row in rows])
    if rows:
        statement = (
            select(registry_types.c.registry_id, registry_types.c.type)
            .where(registry_types.c.registry_id.in_([row.id for row in rows]))
            .order_by(registry_types.c.created_at, registry_types.c.type)
        )
        for registry_id, type_name in connection.execute(statement):
            types[registry_id].append(type_name)
    return [
        RegistryRecord(
            name=row.name,
            entity=ORGANIZATION,
            project=registry_project(row.name),
            description=row.description,
            visibility=Visibility(row.visibility),
            artifact_types=tuple(types.get(row.id, ())),
            allow_all_artifact_types=bool(row.allow_all_types),
            created_at=to_iso(row.created_at),
            updated_at=to_iso(row.updated_at),
            protected_aliases=tuple(protected[row.id]),
        )
        for row in rows
    ]


def update_registry(connection: Connection, name: str, change: RegistryUpdate) -> RegistryRecord:
    """Describe a registry, add accepted types, restrict it; types are never removed and a
    restricted registry never becomes organization-visible again (SPEC §7)."""
    row = require_registry(connection, name, lock=True)
    values: dict[str, Any] = {"updated_at": utc_now()}
    if change.description is not UNSET:
        values["description"] = validate_description(change.description, "registry description")
    if change.visibility is not UNSET:
        wanted = validate_visibility(change.visibility)
        if row.name in CORE_REGISTRIES and wanted is not Visibility.ORGANIZATION:
            raise InvalidInputError(f"core registry {row.name!r} is always visible to the whole organization")
        if row.visibility == Visibility.RESTRICTED.value and wanted is Visibility.ORGANIZATION:
            raise InvalidInputError(
                f"registry {row.name!r} is restricted; a restricted registry cannot become "
                "visible to the whole organization again"
            )
        values["visibility"] = wanted.value
    if change.allow_all_artifact_types is not UNSET:
        if not isinstance(change.allow_all_artifact_types, bool):
            raise InvalidInputError(
                f"allow_all_artifact_types must be true or false, got {change.allow_all_artifact_types!r}"
            )
        if row.allow_all_types and not change.allow_all_artifact_types:
            raise InvalidInputError(
                f"registry {row.name!r} accepts all types; accepted types can be added, never removed"
            )
        values["allow_all_types"] = change.allow_all_artifact_types
    if change.artifact_types is not UNSET:
        wanted_types = validate_artifact_types(change.artifact_types)
        removed = [t for t in accepted_types(connection, row.id) if t not in wanted_types]
        if removed:
            raise InvalidInputError(
                f"registry {row.name!r} would lose the accepted types {removed}; accepted types "
                "can be added, never removed"
            )
        _add_types(connection, row.id, wanted_types)
    connection.execute(update(registries).where(registries.c.id == row.id).values(**values))
    return registry_record(connection, row.name)


def delete_registry(connection: Connection, name: str) -> None:
    """Delete a custom registry with its collections (their links, not their sources)."""
    row = require_registry(connection, name, lock=True)
    if row.name in CORE_REGISTRIES:
        raise InvalidInputError(f"core registry {row.name!r} cannot be deleted")
    project = registry_project(row.name)
    names = connection.execute(
        select(collections.c.name).where(collections.c.project_id == row.project_id, LIVE_COLLECTION)
    ).scalars()
    for collection in list(names):
        delete_collection(connection, ORGANIZATION, project, collection)
    connection.execute(delete(registry_types).where(registry_types.c.registry_id == row.id))
    forget_registry(connection, row.id)
    connection.execute(delete(registry_members).where(registry_members.c.registry_id == row.id))
    connection.execute(delete(registries).where(registries.c.id == row.id))
