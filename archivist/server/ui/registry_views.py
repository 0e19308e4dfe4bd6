"""What the registry pages show, read through the UiBackend: a registry's collections with
their latest links, a collection's links, and the registries a version may be linked into.

A collection view's ``protected`` aliases (the registry's) are marked with a lock by the
templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from archivist.core.models import CollectionRecord, VersionQuery, VersionRecord
from archivist.core.paths import LATEST
from archivist.core.registries import ORGANIZATION, MemberKind, RegistryMember, RegistryRecord, Visibility
from archivist.server.ui.state import Page, UiState
from archivist.server.ui.ui_backend import UiBackend


@dataclass(frozen=True)
class CollectionRow:
    collection: CollectionRecord
    latest: VersionRecord | None


@dataclass(frozen=True)
class CollectionView:
    registry: RegistryRecord
    collection: CollectionRecord
    links: Sequence[VersionRecord]
    protected: frozenset[str] = field(default_factory=frozenset)
    """Aliases the registry protects (shown with a lock)."""


def accepts(registry: RegistryRecord, type_name: str) -> bool:
    return registry.allow_all_artifact_types or type_name in registry.artifact_types


def visibility_name(registry: RegistryRecord) -> str:
    return Visibility(registry.visibility).value


def member_kind(member: RegistryMember) -> str:
    return MemberKind(member.kind).value


def accepted_types(registry: RegistryRecord) -> str:
    if registry.allow_all_artifact_types and not registry.artifact_types:
        return "all types"
    return ", ".join(registry.artifact_types)


def collection_rows(
    backend: UiBackend, registry: RegistryRecord, offset: int, limit: int
) -> list[CollectionRow]:
    """A page of the registry's collections, each with its latest link (two queries)."""
    collections = backend.list_collections(ORGANIZATION, registry.project, offset=offset, limit=limit)
    if not collections:
        return []
    names = [c.name for c in collections]
    wanted = {"alias": LATEST, "collection": {"$in": names}}
    latest = {v.collection: v for v in backend.list_registry_versions(registry.name, wanted, 0, len(names))}
    return [CollectionRow(c, latest.get(c.name)) for c in collections]


def collection_view(
    backend: UiBackend, registry: RegistryRecord, name: str, offset: int, limit: int
) -> CollectionView:
    collection = backend.get_collection(ORGANIZATION, registry.project, name)
    links = backend.list_versions(
        VersionQuery(ORGANIZATION, registry.project, collection.name, offset=offset, limit=limit)
    )
    protected = frozenset(p.alias for p in registry.protected_aliases)
    return CollectionView(registry, collection, links, protected)


def link_choices(ui: UiState, page: Page, version: VersionRecord) -> list[RegistryRecord]:
    """The registries the user may link ``version`` into: those accepting its type where the
    user is a member or admin (none for a link: its source is what gets linked)."""
    if version.source is not None:
        return []
    return [
        registry
        for registry in page.backend.list_registries()
        if accepts(registry, version.type) and ui.can_write_registry(page, registry.name)
    ]


def split_aliases(text: str) -> list[str]:
    """The aliases typed in a form field, separated by commas or spaces."""
    return [alias for alias in text.replace(",", " ").split() if alias]
