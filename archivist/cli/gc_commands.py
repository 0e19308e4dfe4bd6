"""``archivist gc`` (the collector, its dry run and ``--explain``) and ``archivist du`` (the
bytes an entity, project or collection holds).

Both talk to the Backend the environment names: the embedded store, or a server (``gc``
needs a server administrator's key there). ``gc --db URL --store URL`` works on a server's
database and blob store directly, for an administrator on the server machine.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

from archivist.cli.formatting import plural
from archivist.cli.store_commands import db_option, open_store_at, store_option
from archivist.core.collector import BlobHolders, GcReport, StorageUsage, parse_duration
from archivist.core.models import to_dict
from archivist.core.sizes import format_size

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_LISTED = 20


class _Duration(click.ParamType):  # type: ignore[type-arg]
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        from archivist.core.errors import InvalidInputError

        try:
            return parse_duration(value)
        except InvalidInputError as error:
            self.fail(error.message, param, ctx)


@click.command("gc")
@click.option(
    "--grace",
    "grace_seconds",
    type=_Duration(),
    default="7d",
    show_default=True,
    help="Purge versions deleted longer ago than this (7d, 12h, 0s). Unreferenced blobs younger "
    "than this (at most 1h) are kept: a log may still be uploading them; 0s when nothing is logging.",
)
@click.option("--dry-run", is_flag=True, help="Change nothing; print what a run would remove.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--explain", "explain", metavar="PATH|DIGEST", help="Say what holds a blob (and keeps it).")
@db_option
@store_option
def gc_command(
    grace_seconds: float,
    dry_run: bool,
    as_json: bool,
    explain: str | None,
    db_url: str | None,
    store_url: str | None,
) -> None:
    """Purge soft-deleted versions past their grace period and delete the blobs no version,
    run file or upload in progress holds; compact packs, drop stale uploads.

    Works on a full disk: the store keeps a reserve of free space (ARCHIVIST_SPACE_RESERVE,
    16MiB by default) that logging never uses, for deleting versions and collecting garbage.
    """
    if db_url is not None or store_url is not None:
        from archivist.service.service import Service

        with open_store_at(db_url, store_url) as opened:
            service = Service(opened.engine, opened.store)
            _run(service, grace_seconds, dry_run, as_json, explain, opened.where)
        return
    from archivist.sdk.context import get_context

    context = get_context()
    where = context.settings.base_url or f"the embedded store at {context.settings.home}"
    _run(context.backend, grace_seconds, dry_run, as_json, explain, where)


def _run(backend: Any, grace: float, dry_run: bool, as_json: bool, explain: str | None, where: str) -> None:
    if explain is not None:
        digest, path = _blob_of(explain)
        holders = backend.explain_blob(digest)
        if as_json:
            click.echo(json.dumps({**to_dict(holders), "path": path, "kept": holders.kept}, indent=2))
        else:
            _print_holders(holders, path)
        return
    report = backend.collect_garbage(grace, dry_run)
    if as_json:
        click.echo(json.dumps({**to_dict(report), "reclaimed_bytes": report.reclaimed_bytes}, indent=2))
    else:
        _print_report(report, where)


def _blob_of(target: str) -> tuple[str, str | None]:
    """A digest as given, or the digest of the file ``ARTIFACT:VERSION/FILE`` names."""
    if _DIGEST.match(target):
        return target, None
    artifact, colon, rest = target.partition(":")
    version, slash, file = rest.partition("/")
    if not colon or not slash or not file:
        raise click.UsageError(
            f"--explain {target!r}: give a blob digest (64 hex digits) or "
            "[entity/][project/]name:VERSION/path/in/artifact, e.g. cats:v0/data/a.txt"
        )
    from archivist.sdk.api import Api

    found = Api().artifact(f"{artifact}:{version}").manifest.get_entry_by_path(file)
    if found is None:
        raise click.UsageError(f"--explain {target!r}: the artifact has no file {file!r}")
    return found.digest, file


def _print_holders(holders: BlobHolders, path: str | None) -> None:
    named = f"{path!r} (blob {holders.digest})" if path else f"blob {holders.digest}"
    size = f", {format_size(holders.size)}" if holders.size is not None else ""
    click.echo(f"{named}: {'in the store' if holders.stored else 'not in the store'}{size}.")
    if not holders.kept:
        gone = (
            "the next collection deletes it (once past the blob grace)"
            if holders.stored
            else "nothing to keep"
        )
        click.echo(f"Nothing holds it: {gone}.")
        return
    click.echo("Kept because:")
    for version in holders.versions:
        click.echo(f"  version {version} names it")
    for chain in holders.chains:
        click.echo(f"  version {chain} (its base chain)")
    for run_file in holders.run_files:
        click.echo(f"  run file {run_file}")
    if holders.upload_grants:
        click.echo(f"  {plural(holders.upload_grants, 'upload')} not yet committed")


def _print_report(report: GcReport, where: str) -> None:
    would = "Would purge" if report.dry_run else "Purged"
    purged = report.purged_versions
    click.echo(f"{would} {plural(len(purged), 'deleted version')} from {where}.")
    for name in purged[:_LISTED]:
        click.echo(f"  {name}")
    if len(purged) > _LISTED:
        click.echo(f"  ... and {len(purged) - _LISTED} more")
    removed = "Would remove" if report.dry_run else "Removed"
    blobs = plural(report.removed_blobs, "unreferenced blob")
    click.echo(f"{removed} {blobs} ({format_size(report.removed_bytes)}).")
    if not report.dry_run:
        click.echo(
            f"Compacted packs ({format_size(report.compacted_bytes)}); dropped "
            f"{plural(report.dropped_uploads, 'stale upload')} and {format_size(report.leftover_bytes)} of "
            f"leftovers. Reclaimed {format_size(report.reclaimed_bytes)} in all."
        )
    if report.swept_versions:
        click.echo(f"The sweep soft-deleted {plural(report.swept_versions, 'expired version')} first.")
    if report.kept_deleted_versions:
        click.echo(
            f"{plural(report.kept_deleted_versions, 'deleted version')} can still be restored "
            f"(deleted less than {_duration(report.grace_seconds)} ago, or linked)."
        )
    if report.dry_run:
        click.echo("Dry run: nothing was changed.")


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@click.command("du")
@click.argument("path", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def du_command(path: str | None, as_json: bool) -> None:
    """Bytes stored for ENTITY, ENTITY/PROJECT or ENTITY/PROJECT/COLLECTION (default: your
    entity): in all, only there (what deleting it would free), and shared with others."""
    from archivist.sdk.api import Api

    usage = Api().storage_usage(path)
    if as_json:
        click.echo(json.dumps(to_dict(usage), indent=2))
        return
    _print_usage(usage)


def _print_usage(usage: StorageUsage) -> None:
    click.echo(
        f"{usage.scope}: {format_size(usage.total_bytes)} in {plural(usage.blobs, 'blob')} "
        f"of {plural(usage.versions, 'version')}"
    )
    click.echo(f"  only here:   {format_size(usage.exclusive_bytes)} (what deleting it would free)")
    click.echo(f"  shared:      {format_size(usage.shared_bytes)} (also held elsewhere)")
