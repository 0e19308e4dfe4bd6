"""``archivist artifact cache ...``: manage the client cache (ARCHIVIST_CACHE_DIR)."""

from __future__ import annotations

import click

from archivist.core.settings import Settings
from archivist.core.sizes import format_size, parse_size


@click.group("cache")
def cache_group() -> None:
    """Manage the local cache of downloaded and uploaded files."""


@cache_group.command("cleanup")
@click.argument("target_size", metavar="SIZE")
@click.option(
    "--remove-temp/--no-remove-temp",
    default=False,
    show_default=True,
    help="Also delete unfinished temporary files.",
)
def cleanup_command(target_size: str, remove_temp: bool) -> None:
    """Evict least recently used files until the cache holds at most SIZE (e.g. 10GB, 500MB)."""
    target = parse_size(target_size)
    settings = Settings.from_env()
    from archivist.service.cache_opening import open_cache  # imported late: --help stays fast

    cache = open_cache(settings.cache_dir, settings.cache_limit)
    reclaimed = cache.cleanup(target, remove_temp=remove_temp)
    click.echo(f"Reclaimed {format_size(reclaimed)} of space")
