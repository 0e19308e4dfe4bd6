"""The ``archivist`` command: ``artifact put|get|ls|versions|show|diff|alias|tag|link|unlink|
lineage|cache cleanup``, ``registry create|ls|show|delete|collections|versions|protect|
unprotect|members|member|history``, ``project ls``, ``whoami``/``status``, ``demo``, ``ui``,
``fsck`` and the server's commands.

Every invocation goes through :func:`archivist.cli.errors.run_guarded`, so a
failure is one ``archivist: error: ...`` line on stderr, also under click's test
runner.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any, NoReturn

import click

from archivist.cli.account_commands import key_group, login_command, team_group, user_group
from archivist.cli.artifact_commands import artifact_group
from archivist.cli.automation_commands import automation_group, webhook_group
from archivist.cli.demo import demo_command
from archivist.cli.errors import Interrupted, run_guarded
from archivist.cli.gc_commands import du_command, gc_command
from archivist.cli.project_commands import project_group
from archivist.cli.registry_access_commands import REGISTRY_ACCESS_COMMANDS
from archivist.cli.registry_commands import registry_group
from archivist.cli.server_commands import db_group, server_command
from archivist.cli.session_commands import logout_command, status_command, whoami_command
from archivist.cli.store_commands import fsck_command
from archivist.cli.ui_command import ui_command

PROG_NAME = "archivist"


def package_version() -> str:
    try:
        return metadata.version("archivist")
    except metadata.PackageNotFoundError:  # running from a checkout that was not installed
        from archivist import __version__

        return __version__


def debug_enabled() -> bool:
    return os.environ.get("ARCHIVIST_DEBUG", "").lower() in ("1", "true", "yes")


class ArchivistGroup(click.Group):
    """A click group whose failures are reported by ``run_guarded`` instead of click."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, EOFError) as interrupt:  # before click prints a blank line
            raise Interrupted() from interrupt

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> NoReturn:
        def invoke() -> object:
            return super(ArchivistGroup, self).main(
                args, prog_name or PROG_NAME, complete_var, standalone_mode=False, **extra
            )

        sys.exit(run_guarded(invoke, debug=debug_enabled()))


@click.group(PROG_NAME, cls=ArchivistGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_version(), prog_name=PROG_NAME)
def cli() -> None:
    """Archivist: versioned datasets and models with lineage, W&B Artifacts compatible.

    Data lives in ARCHIVIST_DIR (default ~/.archivist); set ARCHIVIST_DEBUG=1 to see
    tracebacks of unexpected errors.
    """


cli.add_command(artifact_group)
cli.add_command(project_group)
for registry_command in REGISTRY_ACCESS_COMMANDS:
    registry_group.add_command(registry_command)
cli.add_command(registry_group)
cli.add_command(demo_command)
for server_side_command in (
    server_command, db_group, login_command, logout_command, whoami_command, status_command,
    user_group, key_group, team_group,
):  # fmt: skip
    cli.add_command(server_side_command)
cli.add_command(ui_command)
cli.add_command(webhook_group)
cli.add_command(automation_group)
cli.add_command(fsck_command)
cli.add_command(gc_command)
cli.add_command(du_command)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console-script entry point (``archivist`` and ``python -m archivist``)."""
    cli.main(args=argv, prog_name=PROG_NAME)
