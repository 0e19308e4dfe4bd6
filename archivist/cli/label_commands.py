"""``archivist artifact alias add|rm`` and ``archivist artifact tag add|rm``: naming versions.

An alias names one version of its collection at a time (adding it elsewhere moves it);
``latest`` follows the newest version by itself and cannot be moved or removed. Tags are
free labels, any number per version. Each command prints what it did, or with ``--json``
the version as ``archivist artifact show --json`` does.
"""

from __future__ import annotations

import click

from archivist.cli.table_output import print_json
from archivist.core.models import VersionRecord
from archivist.core.paths import LATEST

_json = click.option("--json", "as_json", is_flag=True, help="Print the changed version as JSON.")
_path = click.argument("path", metavar="[ENTITY/][PROJECT/]NAME:VERSION")


@click.group("alias")
def alias_group() -> None:
    """Add or remove a version's aliases (names such as 'best' or 'production')."""


@click.group("tag")
def tag_group() -> None:
    """Add or remove a version's tags (free labels, any number per version)."""


def _refuse_latest(alias: str) -> None:
    if alias == LATEST:
        raise click.BadParameter(
            "'latest' always names the newest version and is moved by the store; choose another alias",
            param_hint="ALIAS",
        )


def _report(record: VersionRecord, message: str, as_json: bool) -> None:
    from archivist.cli.version_views import version_json

    if as_json:
        print_json(version_json(record))
    else:
        click.echo(message)


@alias_group.command("add")
@_path
@click.argument("alias")
@click.option(
    "--override-reason",
    metavar="TEXT",
    help="As a registry admin: why a version failing the promotion rule of the protected alias "
    "ALIAS gets it anyway (recorded).",
)
@_json
def alias_add_command(path: str, alias: str, override_reason: str | None, as_json: bool) -> None:
    """Give the version PATH:VERSION the alias ALIAS (moving it from another version if it names one).
    A registry's protected alias is given only by its admins, to versions passing its rule."""
    from archivist.cli.resolving import version_at
    from archivist.cli.version_views import version_name
    from archivist.core.errors import ArtifactNotFoundError
    from archivist.core.models import VersionUpdate
    from archivist.core.names import validate_alias

    _refuse_latest(alias)
    validate_alias(alias)
    backend, record = version_at(path, explicit=True)
    try:
        holder = backend.resolve_version(record.entity, record.project, record.collection, alias)
    except ArtifactNotFoundError:
        holder = None
    updated = backend.update_version(
        record.id, VersionUpdate(aliases=[*record.aliases, alias]), override_reason
    )
    moved = f" (moved from {holder.version})" if holder is not None and holder.id != record.id else ""
    _report(updated, f"Alias {alias!r} now names {version_name(updated)}{moved}.", as_json)


@alias_group.command("rm")
@_path
@click.argument("alias")
@_json
def alias_rm_command(path: str, alias: str, as_json: bool) -> None:
    """Remove the alias ALIAS from the version PATH:VERSION."""
    from archivist.cli.resolving import version_at
    from archivist.cli.version_views import version_name
    from archivist.core.errors import NotFoundError
    from archivist.core.models import VersionUpdate

    _refuse_latest(alias)
    backend, record = version_at(path, explicit=True)
    if alias not in record.aliases:
        raise NotFoundError(
            f"{version_name(record)} has no alias {alias!r}; "
            f"its aliases: {', '.join(sorted(record.aliases)) or 'none'}"
        )
    updated = backend.update_version(
        record.id, VersionUpdate(aliases=[a for a in record.aliases if a != alias])
    )
    _report(updated, f"Removed alias {alias!r} from {version_name(updated)}.", as_json)


@tag_group.command("add")
@_path
@click.argument("tags", metavar="TAG...", nargs=-1, required=True)
@_json
def tag_add_command(path: str, tags: tuple[str, ...], as_json: bool) -> None:
    """Add the tags TAG... to the version PATH:VERSION."""
    from archivist.cli.resolving import version_at
    from archivist.cli.version_views import version_name
    from archivist.core.models import VersionUpdate
    from archivist.core.names import validate_tags

    validate_tags(tags)
    backend, record = version_at(path, explicit=True)
    merged = list(dict.fromkeys([*record.tags, *tags]))
    updated = backend.update_version(record.id, VersionUpdate(tags=merged))
    _report(updated, f"Tagged {version_name(updated)}: {', '.join(sorted(updated.tags))}.", as_json)


@tag_group.command("rm")
@_path
@click.argument("tags", metavar="TAG...", nargs=-1, required=True)
@_json
def tag_rm_command(path: str, tags: tuple[str, ...], as_json: bool) -> None:
    """Remove the tags TAG... from the version PATH:VERSION."""
    from archivist.cli.resolving import version_at
    from archivist.cli.version_views import version_name
    from archivist.core.errors import NotFoundError
    from archivist.core.models import VersionUpdate

    backend, record = version_at(path, explicit=True)
    absent = [tag for tag in tags if tag not in record.tags]
    if absent:
        raise NotFoundError(
            f"{version_name(record)} has no tag {', '.join(repr(tag) for tag in absent)}; "
            f"its tags: {', '.join(sorted(record.tags)) or 'none'}"
        )
    updated = backend.update_version(record.id, VersionUpdate(tags=[t for t in record.tags if t not in tags]))
    left = ", ".join(sorted(updated.tags)) or "none"
    _report(
        updated,
        f"Removed {', '.join(repr(t) for t in tags)} from {version_name(updated)}; its tags: {left}.",
        as_json,
    )
