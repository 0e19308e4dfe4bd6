"""``archivist artifact verify PATH``: do a version's references still match their sources?

Only metadata is requested (HEAD, or a stat for ``file://``); nothing is
downloaded. Each reference that changed or is gone is printed on its own line
and the command exits 1; it exits 0 when every reference matches.
"""

from __future__ import annotations

import click

from archivist.cli.formatting import plural
from archivist.core.paths import parse_artifact_path

_FAILED = 1


@click.command("verify")
@click.argument("path", metavar="PATH[:ALIAS]")
@click.option("-t", "--type", "type_name", help="Fail unless the artifact has this type.")
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=256),
    help="References checked at the same time (default: 16).",
)
def verify_command(path: str, type_name: str | None, workers: int | None) -> None:
    """Check that the references of [entity/][project/]name[:alias|vN] still match their
    sources, without downloading them. Exits 1 if any changed or is gone."""
    import archivist
    from archivist.sdk.references.checking import DEFAULT_WORKERS, check_version_references

    artifact = archivist.Api().artifact(str(parse_artifact_path(path)), type=type_name)
    full_name = f"{artifact.qualified_name}"
    report = check_version_references(artifact, workers or DEFAULT_WORKERS)
    for entry, reason in report.problems:
        click.echo(f"{entry.path} ({entry.ref}): {reason}")
    if report.unverifiable:
        click.echo(
            f"{plural(len(report.unverifiable), 'reference')} recorded no checksum "
            "(checksum=False or an unreadable scheme) and could not be checked"
        )
    if report.problems:
        click.echo(
            f"{full_name}: {len(report.problems)} of {plural(report.checked, 'reference')} "
            "no longer match their source",
            err=True,
        )
        click.get_current_context().exit(_FAILED)
    if report.checked == 0 and not report.unverifiable:
        click.echo(f"{full_name} has no references")
    elif report.checked:
        click.echo(f"{full_name}: all {plural(report.checked, 'reference')} match their source")
