"""How the version commands describe versions: the JSON a script reads and the lines a
person reads, from the Backend's records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from archivist.cli.formatting import plural
from archivist.cli.listing import aliases_in_order, format_time
from archivist.core.models import RunRecord, RunState, VersionRecord
from archivist.core.sizes import format_size


def version_name(record: VersionRecord) -> str:
    return f"{record.qualified_collection}:{record.version}"


def run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "path": run.ref.path,
        "name": run.name,
        "job_type": run.job_type,
        "state": RunState(run.state).value,
    }


def version_json(record: VersionRecord) -> dict[str, Any]:
    """The fields a script needs, named as the SDK names them."""
    return {
        "name": version_name(record),
        "id": record.id,
        "entity": record.entity,
        "project": record.project,
        "collection": record.collection,
        "version": record.version,
        "type": record.type,
        "aliases": list(aliases_in_order(record.aliases)),
        "tags": sorted(record.tags),
        "size": record.size,
        "file_count": record.file_count,
        "digest": record.digest,
        "description": record.description,
        "metadata": dict(record.metadata),
        "ttl_seconds": record.ttl_seconds,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "producer": None if record.producer is None else record.producer.path,
    }


def version_row(record: VersionRecord) -> tuple[str, ...]:
    """A row of ``archivist artifact versions``."""
    return (
        record.version,
        format_time(record.created_at),
        format_size(record.size),
        str(record.file_count),
        ",".join(aliases_in_order(record.aliases)) or "-",
        ",".join(sorted(record.tags)) or "-",
        record.producer.path if record.producer else "-",
    )


VERSION_HEADERS = ("VERSION", "CREATED", "SIZE", "FILES", "ALIASES", "TAGS", "PRODUCER")


def show_lines(
    record: VersionRecord, producer: RunRecord | None, consumers: Sequence[RunRecord]
) -> list[str]:
    """``archivist artifact show``: one field a line, description and metadata last."""
    lines = [
        f"{version_name(record)} ({record.type})",
        f"  aliases:   {', '.join(aliases_in_order(record.aliases)) or '-'}",
        f"  tags:      {', '.join(sorted(record.tags)) or '-'}",
        f"  created:   {format_time(record.created_at)}",
        f"  files:     {plural(record.file_count, 'file')}, {format_size(record.size)}",
        f"  digest:    {record.digest}",
        f"  logged by: {_describe_run(producer) if producer else '-'}",
        f"  used by:   {_describe_runs(consumers)}",
    ]
    if record.ttl_seconds is not None:
        lines.append(f"  ttl:       {record.ttl_seconds} s")
    if record.metadata:
        lines.append("  metadata:")
        lines.extend("    " + line for line in json.dumps(dict(record.metadata), indent=2).splitlines())
    if record.description:
        lines.append("  description:")
        lines.extend("    " + line for line in record.description.splitlines())
    return lines


def _describe_run(run: RunRecord) -> str:
    job = f", {run.job_type}" if run.job_type else ""
    return f"run {run.ref.path} ({run.name}{job})"


def _describe_runs(runs: Sequence[RunRecord]) -> str:
    if not runs:
        return "-"
    shown = ", ".join(run.ref.path for run in runs[:5])
    more = f" and {len(runs) - 5} more" if len(runs) > 5 else ""
    return f"{plural(len(runs), 'run')}: {shown}{more}"
