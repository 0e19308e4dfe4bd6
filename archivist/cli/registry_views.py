"""How the registry commands describe registries, their collections and their linked
versions: the JSON a script reads and the rows a person reads, from the Backend's records."""

from __future__ import annotations

from typing import Any

from archivist.cli.listing import aliases_in_order, format_time
from archivist.cli.version_views import version_json
from archivist.core.models import CollectionRecord, VersionRecord
from archivist.core.registries import MemberKind, RegistryMember, RegistryRecord, Visibility

REGISTRY_HEADERS = ("NAME", "VISIBILITY", "TYPES", "UPDATED", "DESCRIPTION")
COLLECTION_HEADERS = ("COLLECTION", "TYPE", "VERSIONS", "LATEST", "ALIASES")
LINK_HEADERS = ("VERSION", "ALIASES", "SOURCE", "CREATED")
MEMBER_HEADERS = ("MEMBER", "KIND", "ROLE")
ALL_TYPES = "all types"


def accepted_types(record: RegistryRecord) -> str:
    if record.allow_all_artifact_types and not record.artifact_types:
        return ALL_TYPES
    return ", ".join(record.artifact_types) or "-"


def registry_json(record: RegistryRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "full_name": record.project,
        "description": record.description,
        "visibility": Visibility(record.visibility).value,
        "artifact_types": list(record.artifact_types),
        "allow_all_artifact_types": record.allow_all_artifact_types,
        "core": record.is_core,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "protected_aliases": [{"alias": p.alias, "rule": p.rule} for p in record.protected_aliases],
    }


def registry_row(record: RegistryRecord) -> tuple[str, ...]:
    description = (record.description or "-").splitlines()[0] if record.description else "-"
    return (
        record.name,
        Visibility(record.visibility).value,
        accepted_types(record),
        format_time(record.updated_at),
        description,
    )


def link_json(record: VersionRecord) -> dict[str, Any]:
    """A linked version as ``artifact show --json`` describes a version, with its registry
    path and its source."""
    source = record.source
    return {
        **version_json(record),
        "registry_path": f"{record.project}/{record.collection}:{record.version}",
        "source": None if source is None else source.qualified_name,
    }


def link_row(record: VersionRecord, with_collection: bool) -> tuple[str, ...]:
    name = f"{record.collection}:{record.version}" if with_collection else record.version
    return (
        name,
        ",".join(aliases_in_order(record.aliases)) or "-",
        record.source.qualified_name if record.source else "-",
        format_time(record.created_at),
    )


def collection_json(record: CollectionRecord, latest: VersionRecord | None) -> dict[str, Any]:
    return {
        "name": record.name,
        "type": record.type,
        "description": record.description,
        "tags": sorted(record.tags),
        "version_count": record.version_count,
        "latest": None if latest is None else link_json(latest),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def collection_row(record: CollectionRecord, latest: VersionRecord | None) -> tuple[str, ...]:
    return (
        record.name,
        record.type,
        str(record.version_count),
        "-" if latest is None else latest.version,
        "-" if latest is None else ",".join(aliases_in_order(latest.aliases)),
    )


def registry_lines(record: RegistryRecord, collection_count: int) -> list[str]:
    """``archivist registry show``: one field a line, before the collections' table."""
    lines = [
        f"{record.name} ({record.project})",
        f"  visibility: {Visibility(record.visibility).value}{' (core registry)' if record.is_core else ''}",
        f"  accepts:    {accepted_types(record)}",
        f"  created:    {format_time(record.created_at)}",
        f"  updated:    {format_time(record.updated_at)}",
        f"  collections: {collection_count}",
    ]
    if record.protected_aliases:
        lines.append("  protected aliases:")
        lines.extend(f"    {p.alias}: {p.rule or 'no rule'}" for p in record.protected_aliases)
    if record.description:
        lines.append("  description:")
        lines.extend("    " + line for line in record.description.splitlines())
    return lines


def member_json(member: RegistryMember) -> dict[str, Any]:
    return {"name": member.name, "kind": MemberKind(member.kind).value, "role": member.role}


def member_row(member: RegistryMember) -> tuple[str, ...]:
    return (member.name, MemberKind(member.kind).value, member.role)
