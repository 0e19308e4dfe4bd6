"""Database rows -> the frozen records of ``archivist.core.models``.

Each loader fetches the main rows with one joined query and their aliases and
tags with one query per chunk of ids, so building N records costs a handful of
statements, not N.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Row,
    Select,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    union_all,
)

from archivist.core.lifecycle import TTL_INHERIT, RetentionRule, effective_ttl
from archivist.core.models import (
    CollectionRecord,
    LinkSource,
    RunRecord,
    RunRef,
    RunState,
    VersionRecord,
    VersionState,
)
from archivist.metadata.schema import (
    aliases,
    collections,
    entities,
    projects,
    runs,
    version_tags,
    versions,
)
from archivist.service.liveness import process_gone
from archivist.service.timestamps import to_iso

_CHUNK = 900  # ids per IN (...) list, well below SQLite's bound-parameter limit
T = TypeVar("T")

_producer = runs.alias("producer")
_producer_project = projects.alias("producer_project")
_producer_entity = entities.alias("producer_entity")
_source = versions.alias("source")
_source_collection = collections.alias("source_collection")
_source_project = projects.alias("source_project")
_source_entity = entities.alias("source_entity")


def chunked(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """Slices short enough for one ``IN (...)`` list."""
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# --- versions ---------------------------------------------------------------------------------


_VERSION_SELECT = select(
    versions,
    collections.c.name.label("collection_name"),
    collections.c.type.label("collection_type"),
    projects.c.name.label("project_name"),
    entities.c.name.label("entity_name"),
    entities.c.default_ttl_seconds.label("entity_default_ttl"),
    _producer.c.run_id.label("producer_run"),
    _producer_project.c.name.label("producer_project"),
    _producer_entity.c.name.label("producer_entity"),
    _source.c.version_index.label("source_index"),
    _source_collection.c.name.label("source_collection"),
    _source_project.c.name.label("source_project"),
    _source_entity.c.name.label("source_entity"),
).select_from(
    versions.join(collections, collections.c.id == versions.c.collection_id)
    .join(projects, projects.c.id == collections.c.project_id)
    .join(entities, entities.c.id == projects.c.entity_id)
    .outerjoin(_producer, _producer.c.id == versions.c.producer_run_id)
    .outerjoin(_producer_project, _producer_project.c.id == _producer.c.project_id)
    .outerjoin(_producer_entity, _producer_entity.c.id == _producer_project.c.entity_id)
    .outerjoin(_source, _source.c.id == versions.c.source_version_id)
    .outerjoin(_source_collection, _source_collection.c.id == _source.c.collection_id)
    .outerjoin(_source_project, _source_project.c.id == _source_collection.c.project_id)
    .outerjoin(_source_entity, _source_entity.c.id == _source_project.c.entity_id)
)

# The aliases (in the order they were set) and tags (in the order given) of some
# versions, in one statement.
_VERSION_LABELS = union_all(
    select(
        aliases.c.version_id.label("owner"),
        literal(True).label("is_alias"),
        aliases.c.alias.label("label"),
        aliases.c.id.label("position"),
    ).where(aliases.c.version_id.in_(bindparam("alias_owners", expanding=True))),
    select(
        version_tags.c.version_id,
        literal(False),
        version_tags.c.tag,
        version_tags.c.position,
    ).where(version_tags.c.version_id.in_(bindparam("tag_owners", expanding=True))),
).order_by(literal_column("position"))


def version_select() -> Select[Any]:
    """Versions with their collection, project, entity and producing run, ready to filter."""
    return _VERSION_SELECT


def load_versions(connection: Connection, statement: Select[Any]) -> list[VersionRecord]:
    """Run a ``version_select()`` statement and build its records in row order."""
    rows = connection.execute(statement).all()
    alias_map: defaultdict[int, list[str]] = defaultdict(list)
    tag_map: defaultdict[int, list[str]] = defaultdict(list)
    for chunk in chunked([row.id for row in rows]):
        labels = connection.execute(_VERSION_LABELS, {"alias_owners": chunk, "tag_owners": chunk})
        for owner, is_alias, label, _position in labels:
            (alias_map if is_alias else tag_map)[owner].append(label)
    return [_version_record(row, alias_map.get(row.id, ()), tag_map.get(row.id, ())) for row in rows]


def versions_by_id(connection: Connection, version_ids: Sequence[int]) -> list[VersionRecord]:
    """Records of these versions (deleted ones included), in the order given."""
    found: dict[int, VersionRecord] = {}
    for chunk in chunked(list(dict.fromkeys(version_ids))):
        for record in load_versions(connection, version_select().where(versions.c.id.in_(chunk))):
            found[int(record.id)] = record
    return [found[i] for i in version_ids if i in found]


def _version_record(row: Row[Any], alias_list: Iterable[str], tag_list: Iterable[str]) -> VersionRecord:
    producer = None
    if row.producer_run is not None:
        producer = RunRef(row.producer_entity, row.producer_project, row.producer_run)
    source = None
    if row.source_version_id is not None:
        source = LinkSource(
            str(row.source_version_id),
            row.source_entity,
            row.source_project,
            row.source_collection,
            row.source_index,
        )
    ttl = (
        None if row.source_version_id is not None else effective_ttl(row.ttl_seconds, row.entity_default_ttl)
    )
    return VersionRecord(
        id=str(row.id),
        entity=row.entity_name,
        project=row.project_name,
        collection=row.collection_name,
        type=row.collection_type,
        version_index=row.version_index,
        digest=row.digest,
        manifest_digest=row.manifest_digest,
        size=row.size,
        file_count=row.file_count,
        description=row.description,
        metadata=row.metadata_json,
        aliases=tuple(alias_list),
        tags=tuple(tag_list),
        ttl_seconds=ttl,
        state=VersionState(row.state),
        created_at=to_iso(row.created_at),
        updated_at=to_iso(row.updated_at),
        producer=producer,
        history_step=row.history_step,
        source=source,
        ttl_inherited=row.source_version_id is None and row.ttl_seconds in (None, TTL_INHERIT),
        expires_at=None if ttl is None else to_iso(row.created_at + dt.timedelta(seconds=ttl)),
        deleted_at=None if row.deleted_at is None else to_iso(row.deleted_at),
    )


def _grouped(
    connection: Connection, key: Any, value: Any, ids: Sequence[int], order: Any
) -> dict[int, tuple[str, ...]]:
    grouped: defaultdict[int, list[str]] = defaultdict(list)
    for chunk in chunked(ids):
        for owner, item in connection.execute(select(key, value).where(key.in_(chunk)).order_by(order)):
            grouped[owner].append(item)
    return {owner: tuple(items) for owner, items in grouped.items()}


# --- runs -------------------------------------------------------------------------------------


_RUN_SELECT = select(
    runs,
    projects.c.name.label("project_name"),
    entities.c.name.label("entity_name"),
).select_from(
    runs.join(projects, projects.c.id == runs.c.project_id).join(
        entities, entities.c.id == projects.c.entity_id
    )
)


def run_select() -> Select[Any]:
    """Runs with their project and entity names, ready to filter."""
    return _RUN_SELECT


def run_record(row: Row[Any]) -> RunRecord:
    """The record of a run row; a running run whose process is gone reads as crashed."""
    state = RunState(row.state)
    if state is RunState.RUNNING and process_gone(row.host, row.pid):
        state = RunState.CRASHED
    return RunRecord(
        ref=RunRef(row.entity_name, row.project_name, row.run_id),
        name=row.name,
        job_type=row.job_type,
        group=row.group_name,
        notes=row.notes,
        tags=tuple(row.tags),
        state=state,
        config=row.config,
        summary=row.summary,
        created_at=to_iso(row.created_at),
        updated_at=to_iso(row.updated_at),
        host=row.host,
        pid=row.pid,
    )


def runs_by_pk(connection: Connection, run_pks: Sequence[int]) -> list[RunRecord]:
    """Records of these runs, in the order given."""
    found: dict[int, RunRecord] = {}
    for chunk in chunked(list(dict.fromkeys(run_pks))):
        for row in connection.execute(run_select().where(runs.c.id.in_(chunk))):
            found[row.id] = run_record(row)
    return [found[pk] for pk in run_pks if pk in found]


# --- collections ------------------------------------------------------------------------------


_COMMITTED_COUNT = (
    select(func.count())
    .where(versions.c.collection_id == collections.c.id, versions.c.state == VersionState.COMMITTED.value)
    .scalar_subquery()
)
_COLLECTION_SELECT = (
    select(
        collections,
        projects.c.name.label("project_name"),
        entities.c.name.label("entity_name"),
        _COMMITTED_COUNT.label("version_count"),
    )
    .select_from(
        collections.join(projects, projects.c.id == collections.c.project_id).join(
            entities, entities.c.id == projects.c.entity_id
        )
    )
    .where(collections.c.deleted_at.is_(None))
)


def collection_select() -> Select[Any]:
    """Live collections with names of their project and entity and their committed count."""
    return _COLLECTION_SELECT


def load_collections(connection: Connection, statement: Select[Any]) -> list[CollectionRecord]:
    rows = connection.execute(statement).all()
    ids = [row.id for row in rows]
    alias_map = _grouped(connection, aliases.c.collection_id, aliases.c.alias, ids, aliases.c.alias)
    return [
        CollectionRecord(
            id=str(row.id),
            entity=row.entity_name,
            project=row.project_name,
            name=row.name,
            type=row.type,
            description=row.description,
            tags=tuple(row.tags),
            aliases=alias_map.get(row.id, ()),
            version_count=row.version_count,
            created_at=to_iso(row.created_at),
            updated_at=to_iso(row.updated_at),
            retention=_retention(row),
        )
        for row in rows
    ]


def _retention(row: Row[Any]) -> RetentionRule | None:
    rule = RetentionRule(row.retention_keep_last, row.retention_max_age_seconds)
    return None if rule.is_empty else rule
