"""``archivist fsck``: checking and repairing a store (``gc_commands``: freeing it).

Both (fsck and gc) work on the embedded store (ARCHIVIST_DIR), or on a server's database and blob
store when given ``--db URL --store PATH-or-URL`` (for an administrator on the server
machine; the server may keep running). Both work on a full disk (see ``storage.space``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import click

from archivist.cli.formatting import plural
from archivist.core.errors import UsageError
from archivist.core.settings import Settings
from archivist.core.sizes import format_size

_FAILED = 1

db_option = click.option(
    "--db",
    "db_url",
    help="A server's metadata database (sqlite:///path or postgresql://...); with --store.",
)
store_option = click.option(
    "--store", "store_url", help="A server's blob store (a folder, or s3://bucket/prefix ...); with --db."
)


@dataclass
class _Opened:
    engine: Any
    store: Any
    where: str


@contextmanager
def open_store_at(db_url: str | None, store_url: str | None) -> Iterator[_Opened]:
    """The embedded store, or the server database and store the options name."""
    from archivist.metadata.engine import create_metadata_engine
    from archivist.storage import open_store

    if (db_url is None) != (store_url is None):
        raise UsageError("give --db and --store together (a server's), or neither (the embedded store)")
    reserve = Settings.from_env().space_reserve
    if db_url is not None and store_url is not None:
        from archivist.server.config import shown_db_url

        where = f"{shown_db_url(db_url)} and {store_url}"
        store = open_store(store_url, reserve_bytes=reserve)
        opened = _Opened(create_metadata_engine(db_url), store, where)
    else:
        from archivist.service.embedded import BLOBS_DIR, DATABASE_FILE

        home = Settings.from_env().home
        database = os.path.join(home, DATABASE_FILE)
        if not os.path.isfile(database):
            raise UsageError(f"no embedded store at {home} (ARCHIVIST_DIR): nothing to check")
        opened = _Opened(
            create_metadata_engine(f"sqlite:///{database}"),
            open_store(os.path.join(home, BLOBS_DIR), reserve_bytes=reserve),
            f"the embedded store at {home}",
        )
    try:
        yield opened
    finally:
        opened.engine.dispose()


@click.command("fsck")
@click.option("--repair", is_flag=True, help="Remove the damaged blobs and bad pack-index entries found.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@db_option
@store_option
def fsck_command(repair: bool, as_json: bool, db_url: str | None, store_url: str | None) -> None:
    """Check that every committed version's manifest and blobs are in the store, whole (each
    blob is read and hashed), and that the pack index points inside its packs.

    Reports what is damaged or missing and which versions it affects; exits 1 when
    anything is wrong. With --repair the damaged blobs are removed, so that logging those
    files again stores them anew.
    """
    from archivist.sdk.termlog import count_progress, transfer_progress
    from archivist.service import store_check
    from archivist.storage.blob_check import check_blobs

    with open_store_at(db_url, store_url) as opened:
        versions = store_check.committed_versions(opened.engine)
        with count_progress("Reading manifests", "versions", len(versions)) as advance:
            index = store_check.read_manifests(opened.store, versions, advance)
        total = sum(index.sizes.values())
        with transfer_progress(f"Checking {plural(len(index.sizes), 'blob')}", total) as advance:
            faults = check_blobs(opened.store, index.sizes, advance)
        found = store_check.report(opened.store, versions, index, faults)
        if repair and not found.ok:
            store_check.repair(opened.store, found)
    if as_json:
        click.echo(json.dumps(found.as_json(), indent=2))
    else:
        _print_report(found, opened.where, repair)
    if not found.ok:
        click.get_current_context().exit(_FAILED)


def _print_report(found: Any, where: str, repaired: bool) -> None:
    click.echo(
        f"Checked {plural(found.versions_checked, 'version')}, {plural(found.blobs_checked, 'blob')} "
        f"({format_size(found.bytes_checked)}) in {where}."
    )
    for problem in found.problems:
        names = ", ".join(problem.versions) or "no version"
        paths = f" as {', '.join(repr(path) for path in problem.paths)}" if problem.paths else ""
        click.echo(f"{problem.kind}: blob {problem.digest}: {problem.detail}; in {names}{paths}")
    if found.ok:
        click.echo("No problems found.")
        return
    affected = found.affected_versions()
    click.echo(
        f"{plural(len(found.problems), 'problem')}; "
        f"{plural(len(affected), 'version')} affected: {', '.join(affected) or 'none'}.",
        err=True,
    )
    if repaired:
        click.echo(
            f"Removed {plural(found.removed, 'damaged blob')} (and their pack-index entries). "
            "Log the affected files again: the next upload of their bytes stores them anew.",
            err=True,
        )
    else:
        click.echo(
            "Run `archivist fsck --repair` to remove the damaged blobs, then log those files again.", err=True
        )
