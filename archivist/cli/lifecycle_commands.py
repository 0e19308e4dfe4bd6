"""``archivist artifact rm|restore|deleted|ttl|retention|default-ttl|sweep`` and
``archivist project rm``: deleting (softly), restoring, and what expires.

Deletion is soft: a deleted version is hidden everywhere and restorable with ``restore``
until the collector purges it. ``rm`` of many versions at once (a whole collection, or a
filter: all but the last N, older than a date) says how many and asks first unless
``--yes``. The work is the Backend's calls; this module parses, confirms and prints.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from archivist.cli.formatting import plural
from archivist.cli.table_output import print_json

if TYPE_CHECKING:
    from archivist.core.lifecycle import SweepReport
    from archivist.core.models import VersionRecord

_json = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
_yes = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")


def _name(record: VersionRecord) -> str:
    return f"{record.qualified_collection}:{record.version}"


def _confirm(question: str, yes: bool) -> None:
    if not yes and not click.confirm(question, err=True):
        raise click.Abort()


@click.command("rm")
@click.argument("path", metavar="[ENTITY/][PROJECT/]NAME[:VERSION]")
@click.option(
    "--delete-aliases", is_flag=True, help="Also delete versions that hold aliases (and those aliases)."
)
@click.option("--keep-last", type=click.IntRange(min=0), help="Delete all but the newest N versions.")
@click.option(
    "--older-than", metavar="DATE|DURATION", help="Delete versions created before DATE or DURATION ago (30d)."
)
@_yes
@_json
def rm_command(
    path: str, delete_aliases: bool, keep_last: int | None, older_than: str | None, yes: bool, as_json: bool
) -> None:
    """Soft-delete a version, a whole collection, or the versions of a collection a filter picks.

    PATH:VERSION deletes that version; PATH alone deletes the collection with all its
    versions, or, with --keep-last/--older-than, the versions they pick. Deleted versions
    stay restorable with 'archivist artifact restore PATH:vN' until the collector purges them.
    """
    from archivist.core.paths import parse_artifact_path

    parsed = parse_artifact_path(path)
    filtered = keep_last is not None or older_than is not None
    if parsed.alias is not None or parsed.version is not None:
        if filtered:
            raise click.UsageError(
                "--keep-last and --older-than pick versions of a collection: give PATH without ':'"
            )
        _rm_one(path, delete_aliases, as_json)
    elif filtered:
        _rm_filtered(path, delete_aliases, keep_last, older_than, yes, as_json)
    else:
        _rm_collection(path, yes, as_json)


def _rm_one(path: str, delete_aliases: bool, as_json: bool) -> None:
    from archivist.cli.resolving import version_at

    backend, record = version_at(path, explicit=True)
    backend.delete_version(record.id, delete_aliases=delete_aliases)
    _deleted_report([_name(record)], [], as_json)


def _rm_collection(path: str, yes: bool, as_json: bool) -> None:
    from archivist.cli.resolving import collection_at

    where = collection_at(path)
    count = where.backend.get_collection(where.entity, where.project, where.name).version_count
    _confirm(f"Delete the collection {where.path} and its {plural(count, 'version')}?", yes)
    where.backend.delete_collection(where.entity, where.project, where.name)
    if as_json:
        print_json({"deleted_collection": where.path, "versions": count})
    else:
        click.echo(
            f"Deleted {where.path} ({plural(count, 'version')}); "
            "'archivist artifact restore' brings versions back."
        )


def _rm_filtered(
    path: str, delete_aliases: bool, keep_last: int | None, older_than: str | None, yes: bool, as_json: bool
) -> None:
    from archivist.cli.resolving import collection_at
    from archivist.core.errors import ArchivistError
    from archivist.core.lifecycle import parse_moment
    from archivist.core.models import VersionQuery

    where = collection_at(path)
    cutoff = None if older_than is None else parse_moment(older_than, dt.datetime.now(dt.timezone.utc))
    newest_first = where.backend.list_versions(VersionQuery(where.entity, where.project, where.name))
    picked = [
        record
        for rank, record in enumerate(newest_first)
        if (keep_last is None or rank >= keep_last)
        and (cutoff is None or dt.datetime.fromisoformat(record.created_at) < cutoff)
    ]
    if not picked:
        _deleted_report([], [], as_json)
        return
    _confirm(f"Delete {plural(len(picked), 'version')} of {where.path} ({_span(picked)})?", yes)
    deleted: list[str] = []
    refused: list[str] = []
    for record in picked:
        try:
            where.backend.delete_version(record.id, delete_aliases=delete_aliases)
        except ArchivistError as error:
            refused.append(f"{_name(record)}: {error}")
            continue
        deleted.append(_name(record))
    _deleted_report(deleted, refused, as_json)
    if refused:
        raise SystemExit(1)


def _span(records: list[VersionRecord]) -> str:
    indexes = sorted(r.version_index for r in records)
    return f"v{indexes[0]}" if len(indexes) == 1 else f"v{indexes[0]}..v{indexes[-1]}"


def _deleted_report(deleted: list[str], refused: list[str], as_json: bool) -> None:
    if as_json:
        print_json({"deleted": deleted, "refused": refused})
        return
    if not deleted and not refused:
        click.echo("No version matches; nothing was deleted.")
    for name in deleted:
        click.echo(f"Deleted {name}.")
    for reason in refused:
        click.echo(f"Not deleted: {reason}", err=True)
    if len(deleted) > 1:
        click.echo(
            f"Deleted {plural(len(deleted), 'version')}; "
            "'archivist artifact restore PATH:vN' brings one back."
        )


@click.command("restore")
@click.argument("path", metavar="[ENTITY/][PROJECT/]NAME:vN")
@_json
def restore_command(path: str, as_json: bool) -> None:
    """Restore a soft-deleted version under its number (until the collector purges it)."""
    from archivist.cli.version_views import version_json
    from archivist.core.paths import parse_artifact_path
    from archivist.sdk.context import get_context

    context = get_context()
    parsed = parse_artifact_path(path).with_defaults(context.entity, context.project)
    if parsed.version is None:
        raise click.UsageError(
            f"{path!r} names no version number: give PATH:vN, as listed by 'archivist artifact deleted'"
        )
    assert parsed.entity is not None and parsed.project is not None
    record = context.backend.restore_version(parsed.entity, parsed.project, parsed.name, parsed.version)
    if as_json:
        print_json(version_json(record))
    else:
        click.echo(f"Restored {_name(record)}.")


@click.command("deleted")
@click.argument("path", metavar="[ENTITY/][PROJECT/]NAME", required=False)
@click.option("--project", "project_path", metavar="[ENTITY/]PROJECT", help="List the whole project's.")
@_json
def deleted_command(path: str | None, project_path: str | None, as_json: bool) -> None:
    """List soft-deleted versions not purged yet (restore one with 'archivist artifact restore')."""
    from archivist.cli.resolving import collection_at
    from archivist.cli.version_views import version_json
    from archivist.core.paths import parse_project_path
    from archivist.sdk.context import get_context

    if path is not None:
        where = collection_at(path)
        records = where.backend.list_deleted_versions(where.entity, where.project, where.name)
    else:
        context = get_context()
        entity, project = parse_project_path(project_path) if project_path else (None, context.project)
        records = context.backend.list_deleted_versions(entity or context.entity, project)
    if as_json:
        print_json([{**version_json(r), "deleted_at": r.deleted_at} for r in records])
        return
    if not records:
        click.echo("No deleted versions.")
    for record in records:
        click.echo(f"{_name(record)}  deleted {record.deleted_at}")


@click.command("ttl")
@click.argument("path", metavar="[ENTITY/][PROJECT/]NAME:VERSION")
@click.argument("value", metavar="DURATION|none|inherit")
@_json
def ttl_command(path: str, value: str, as_json: bool) -> None:
    """Set a version's TTL: a duration from its creation (30d), 'none', or 'inherit' (the team default)."""
    from archivist.cli.resolving import version_at
    from archivist.cli.version_views import version_json
    from archivist.core.lifecycle import TTL_DISABLED, TTL_INHERIT, parse_duration
    from archivist.core.models import VersionUpdate

    policy = {"none": TTL_DISABLED, "inherit": TTL_INHERIT}.get(value.lower())
    seconds = policy if policy is not None else parse_duration(value)
    backend, record = version_at(path, explicit=True)
    updated = backend.update_version(record.id, VersionUpdate(ttl_seconds=seconds))
    if as_json:
        print_json(version_json(updated))
    else:
        click.echo(f"{_name(updated)}: {_ttl_text(updated)}.")


def _ttl_text(record: VersionRecord) -> str:
    if record.ttl_seconds is None:
        return "no TTL" + (" (inherits the team default, which is none)" if record.ttl_inherited else "")
    source = "team default" if record.ttl_inherited else "TTL"
    return f"{source} {record.ttl_seconds} s, expires {record.expires_at}"


@click.command("retention")
@click.argument("path", metavar="[ENTITY/][PROJECT/]NAME")
@click.option("--keep-last", type=click.IntRange(min=1), help="Keep only the newest N versions.")
@click.option("--max-age", metavar="DURATION", help="Keep only versions younger than this (30d).")
@click.option("--clear", is_flag=True, help="Remove the collection's retention rule.")
@_json
def retention_command(
    path: str, keep_last: int | None, max_age: str | None, clear: bool, as_json: bool
) -> None:
    """Show or set a collection's retention rule, which the sweep applies by soft deletion.

    Versions holding an alias other than 'latest', linked to a registry, or used by a run
    that logged a version still kept are always kept.
    """
    from archivist.cli.resolving import collection_at
    from archivist.core.lifecycle import RetentionRule, parse_duration
    from archivist.core.models import CollectionUpdate

    if clear and (keep_last is not None or max_age is not None):
        raise click.UsageError("--clear removes the rule: give it alone, or --keep-last/--max-age to set one")
    where = collection_at(path)
    if clear or keep_last is not None or max_age is not None:
        rule = (
            None if clear else RetentionRule(keep_last, None if max_age is None else parse_duration(max_age))
        )
        record = where.backend.update_collection(
            where.entity, where.project, where.name, CollectionUpdate(retention=rule)
        )
    else:
        record = where.backend.get_collection(where.entity, where.project, where.name)
    rule = record.retention
    if as_json:
        shown = (
            None if rule is None else {"keep_last": rule.keep_last, "max_age_seconds": rule.max_age_seconds}
        )
        print_json({"collection": where.path, "retention": shown})
    elif rule is None:
        click.echo(f"{where.path}: no retention rule (every version is kept).")
    else:
        parts = [f"keep the last {rule.keep_last}" if rule.keep_last else "", _age_text(rule.max_age_seconds)]
        click.echo(f"{where.path}: {' and '.join(p for p in parts if p)}.")


def _age_text(seconds: int | None) -> str:
    return "" if seconds is None else f"keep versions younger than {seconds} s"


@click.command("default-ttl")
@click.argument("entity", required=False)
@click.argument("value", metavar="[DURATION|none]", required=False)
@click.option(
    "--editors",
    type=click.Choice(["admins", "members"]),
    help="Who may set TTLs of ENTITY's versions (a TTL set by anyone else does not apply).",
)
def default_ttl_command(entity: str | None, value: str | None, editors: str | None) -> None:
    """Show or set (team admins) the default TTL of ENTITY's versions that inherit it, and
    who may set TTLs."""
    from archivist.core.lifecycle import parse_duration
    from archivist.sdk.context import get_context

    context = get_context()
    entity = entity or context.entity
    if value is not None:
        context.backend.set_default_ttl(entity, None if value.lower() == "none" else parse_duration(value))
    if editors is not None:
        context.backend.set_ttl_editors(entity, editors)
    seconds = context.backend.get_default_ttl(entity)
    who = "admins only" if context.backend.get_ttl_editors(entity) == "admins" else "admins and members"
    default = "no default TTL" if seconds is None else f"default TTL {seconds} s"
    click.echo(f"{entity}: {default}; TTLs set by {who}.")


@click.command("sweep")
@click.argument("entity", required=False)
@click.option("--dry-run", is_flag=True, help="Delete nothing; print what would be deleted.")
@click.option("--as-of", metavar="TIME", help="Act as of this ISO time instead of now (to preview).")
@_json
def sweep_command(entity: str | None, dry_run: bool, as_of: str | None, as_json: bool) -> None:
    """Soft-delete ENTITY's versions whose TTL ran out and those retention rules let go."""
    from archivist.sdk.context import get_context

    context = get_context()
    report = context.backend.sweep(entity or context.entity, dry_run, as_of)
    _print_sweep(report, as_json)


def _print_sweep(report: SweepReport, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "dry_run": report.dry_run,
                "deleted": [{"name": v.name, "reason": v.reason} for v in report.deleted],
                "skipped": list(report.skipped),
            }
        )
        return
    verb = "Would delete" if report.dry_run else "Deleted"
    for version in report.deleted:
        click.echo(f"{verb} {version.name} ({version.reason})")
    for reason in report.skipped:
        click.echo(f"Skipped {reason}", err=True)
    click.echo(f"{verb} {plural(len(report.deleted), 'version')}.")


@click.command("rm")
@click.argument("project_path", metavar="[ENTITY/]PROJECT")
@_yes
def project_rm_command(project_path: str, yes: bool) -> None:
    """Soft-delete a project's collections and hide it (entity admins); its versions stay
    restorable one by one until purged."""
    from archivist.core.paths import parse_project_path
    from archivist.sdk.context import get_context

    context = get_context()
    entity, project = parse_project_path(project_path)
    entity = entity or context.entity
    count = context.backend.get_project(entity, project).collection_count
    _confirm(f"Delete project {entity}/{project} and its {plural(count, 'collection')}?", yes)
    context.backend.delete_project(entity, project)
    click.echo(f"Deleted project {entity}/{project} ({plural(count, 'collection')}).")


ARTIFACT_COMMANDS = (
    rm_command,
    restore_command,
    deleted_command,
    ttl_command,
    retention_command,
    default_ttl_command,
    sweep_command,
)
