"""Links made by a bare link target, read back from the project they were made in.

W&B's SDK puts ``run.link_artifact(art, "<name>")`` in the run's own project (its old model
registry); here such a link lands in the ``model`` registry (``core.registries``), and the
project it came from is remembered (``legacy_link_origins``). A path in that project that
finds no collection of that name there reads the registry collection instead, if the caller
may read the registry: to anyone else the path is simply not found.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, select

from archivist.core.registries import LEGACY_REGISTRY, ORGANIZATION, LinkOrigin, registry_project
from archivist.metadata.dialects import insert_ignoring_conflict
from archivist.metadata.schema import LIVE_COLLECTION, collections, legacy_link_origins
from archivist.service.collections import find_collection
from archivist.service.namespaces import ensure_project, find_project_id
from archivist.service.timestamps import utc_now

MODEL_REGISTRY_PROJECT = registry_project(LEGACY_REGISTRY)


def remember_origin(connection: Connection, collection_id: int, origin: LinkOrigin) -> None:
    """Note that a bare target from ``origin`` linked into the collection ``collection_id``."""
    project_id = ensure_project(connection, origin.entity, origin.project)
    row = {"collection_id": collection_id, "project_id": project_id, "created_at": utc_now()}
    insert_ignoring_conflict(connection, legacy_link_origins, row, ["collection_id", "project_id"])


def read_from(
    connection: Connection,
    entity: str,
    project: str,
    name: str,
    may_read_registry: Callable[[str], bool],
) -> tuple[str, str]:
    """Where ``entity/project/name`` is read: the ``model`` registry when the project holds
    no collection ``name`` and a bare target from this project linked into the registry's
    collection ``name`` (and the caller may read the registry); else the path as given."""
    if entity == ORGANIZATION or find_collection(connection, entity, project, name) is not None:
        return entity, project
    project_id = find_project_id(connection, entity, project)
    registry_project_id = find_project_id(connection, ORGANIZATION, MODEL_REGISTRY_PROJECT)
    if project_id is None or registry_project_id is None:
        return entity, project
    linked = connection.execute(
        select(collections.c.id)
        .join(legacy_link_origins, legacy_link_origins.c.collection_id == collections.c.id)
        .where(
            collections.c.project_id == registry_project_id,
            collections.c.name == name,
            LIVE_COLLECTION,
            legacy_link_origins.c.project_id == project_id,
        )
    ).first()
    if linked is None or not may_read_registry(LEGACY_REGISTRY):
        return entity, project
    return ORGANIZATION, MODEL_REGISTRY_PROJECT
