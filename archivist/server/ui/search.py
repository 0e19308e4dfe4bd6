"""Search inside a project by collection name, alias and tag.

A query ``q`` matches collections whose name contains it, the versions holding
``q`` as an alias, and the versions (and collections) tagged ``q``. The form
``name:alias`` or ``name:vN`` jumps to that one version.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from archivist.core.errors import ArtifactNotFoundError, InvalidInputError, NotFoundError
from archivist.core.models import CollectionRecord, VersionQuery, VersionRecord
from archivist.core.names import validate_tag
from archivist.server.ui.ui_backend import UiBackend

MAX_TAG_HITS = 100
_NAME_AND_SELECTOR = re.compile(r"^([A-Za-z0-9_\-.]+):([^/:]+)$")


@dataclass
class SearchResults:
    query: str
    by_name: list[CollectionRecord] = field(default_factory=list)
    by_alias: list[VersionRecord] = field(default_factory=list)
    by_tag: list[VersionRecord] = field(default_factory=list)
    collections_by_tag: list[CollectionRecord] = field(default_factory=list)
    tag_hits_truncated: bool = False

    @property
    def empty(self) -> bool:
        return not (self.by_name or self.by_alias or self.by_tag or self.collections_by_tag)


def search_project(backend: UiBackend, entity: str, project: str, query: str) -> SearchResults:
    query = query.strip()
    results = SearchResults(query)
    if not query:
        return results
    collections = backend.list_collections(entity, project)
    needle = query.lower()
    results.by_name = [c for c in collections if needle in c.name.lower()]
    _find_exact_version(backend, entity, project, query, results)
    for collection in collections:
        if query in collection.aliases:
            results.by_alias.append(backend.resolve_version(entity, project, collection.name, query))
    _find_tagged(backend, entity, project, query, collections, results)
    return results


def _find_exact_version(
    backend: UiBackend, entity: str, project: str, query: str, results: SearchResults
) -> None:
    match = _NAME_AND_SELECTOR.match(query)
    if match is None:
        return
    with contextlib.suppress(NotFoundError, InvalidInputError):
        results.by_alias.append(backend.resolve_version(entity, project, match.group(1), match.group(2)))


def _find_tagged(
    backend: UiBackend,
    entity: str,
    project: str,
    query: str,
    collections: list[CollectionRecord],
    results: SearchResults,
) -> None:
    try:
        tag = validate_tag(query)
    except InvalidInputError:
        return
    results.collections_by_tag = [c for c in collections if tag in c.tags]
    for collection in collections:
        room = MAX_TAG_HITS - len(results.by_tag)
        if room <= 0:
            results.tag_hits_truncated = True
            return
        try:
            found = backend.list_versions(
                VersionQuery(entity, project, collection.name, tags=(tag,), limit=room + 1)
            )
        except ArtifactNotFoundError:
            continue
        if len(found) > room:
            results.tag_hits_truncated = True
        results.by_tag.extend(found[:room])
