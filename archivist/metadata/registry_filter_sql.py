"""Registry, collection and version filters (``archivist.core.registry_filters``) as SQL
WHERE clauses, compiled by ``run_filter_sql.filter_clause``: a collection's tags are a
JSON array, a version's aliases and tags are rows of their own tables, its metadata a
JSON document whose keys the database reads."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from archivist.core.run_filters import Filter
from archivist.metadata.run_filter_sql import FilterColumns, filter_clause, json_array_elements, row_elements
from archivist.metadata.schema import aliases, collections, registries, version_tags, versions

REGISTRY_COLUMNS = FilterColumns(
    {
        "name": registries.c.name,
        "description": registries.c.description,
        "visibility": registries.c.visibility,
        "created_at": registries.c.created_at,
    }
)
COLLECTION_COLUMNS = FilterColumns(
    {
        "name": collections.c.name,
        "description": collections.c.description,
        "type": collections.c.type,
        "created_at": collections.c.created_at,
    },
    lists={"tags": json_array_elements(collections.c.tags)},
)
VERSION_COLUMNS = FilterColumns(
    {
        "version": versions.c.version_index,
        "type": collections.c.type,
        "collection": collections.c.name,
        "created_at": versions.c.created_at,
    },
    json={"metadata": versions.c.metadata_json},
    lists={
        "aliases": row_elements(aliases.c.alias, aliases.c.version_id, versions.c.id),
        "tags": row_elements(version_tags.c.tag, version_tags.c.version_id, versions.c.id),
    },
)
_COLUMNS = {"registry": REGISTRY_COLUMNS, "collection": COLLECTION_COLUMNS, "version": VERSION_COLUMNS}


def registry_filter_clause(dialect: str, subject: str, tree: Filter) -> ColumnElement[bool]:
    """The WHERE clause of a checked ``subject`` filter ('registry', 'collection', 'version');
    the statement joins the table the subject's columns are in (versions with collections)."""
    return filter_clause(dialect, tree, _COLUMNS[subject])
