"""``archivist demo``: run a small real pipeline on the embedded store and show its lineage."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile

import click
from rich.console import Console
from rich.text import Text

from archivist.cli.console import output_console
from archivist.cli.demo_pipeline import PROJECT, DemoPipeline, LoggedVersion
from archivist.cli.formatting import content_summary
from archivist.cli.lineage_view import print_lineage
from archivist.core.settings import Settings

STEP_WIDTH = 11


def describe_logged(logged: LoggedVersion) -> Text:
    artifact = logged.artifact
    text = Text(f"  {logged.step:<{STEP_WIDTH}}", style="bold green")
    if logged.deduplicated:
        text.append(f"{artifact.type} {artifact.name}", style="blue")
        text.append("  identical content is already stored: no new version (dedup)")
    else:
        text.append("logged ")
        text.append(f"{artifact.type} {artifact.name}", style="bold blue")
        text.append(f"  {content_summary(artifact)}")
    if logged.note:
        text.append(f"  ({logged.note})", style="dim")
    return text


def shell_name(program: str, executable: str, search_path: str | None) -> str:
    """How to run ``executable`` (``program`` in this interpreter's bin folder) from the user's
    shell: its bare name when the PATH finds this very file, else its path (relative to the
    current folder when it is below it, e.g. ``.venv/bin/archivist`` for an inactive venv)."""
    found = shutil.which(program, path=search_path)
    if found is not None and os.path.abspath(found) == os.path.abspath(executable):
        return program
    relative = os.path.relpath(executable)
    if relative.startswith(".."):
        return shlex.quote(executable)
    return shlex.quote(relative if os.sep in relative else os.path.join(".", relative))  # never a bare name


def explore_commands(model_path: str, search_path: str | None = None) -> list[str]:
    """Commands to look further that work as printed, also without an activated venv."""
    bin_dir = os.path.dirname(sys.executable)
    python = shell_name(os.path.basename(sys.executable), sys.executable, search_path)
    script = os.path.join(bin_dir, "archivist")
    archivist = (
        shell_name("archivist", script, search_path) if os.path.exists(script) else f"{python} -m archivist"
    )
    snippet = f'import archivist; print(archivist.Api().artifact("{model_path}").metadata)'
    return [
        f"{archivist} artifact ls {PROJECT}",
        f"{archivist} artifact lineage {PROJECT}/demo-raw:latest --direction down",
        f"{archivist} artifact get {model_path} --root ./demo-model",
        f"{python} -c {shlex.quote(snippet)}",
    ]


def run_demo(workdir: str, console: Console) -> None:
    settings = Settings.from_env()
    console.print(f"Archivist demo: project {PROJECT!r} in the store at {settings.home}", markup=False)
    console.print(f"Working files in {workdir}\n", markup=False, style="dim")
    from archivist.sdk.termlog import DEDUP_NOTICE, said_by_caller

    pipeline = DemoPipeline(workdir, on_logged=lambda logged: console.print(describe_logged(logged)))
    with said_by_caller(DEDUP_NOTICE):  # describe_logged says it
        outcome = pipeline.run_all()
    model_path = f"{PROJECT}/demo-model:{outcome.model.version}"
    console.print(f"\nLineage of {model_path}:", markup=False)
    print_lineage(model_path, console)
    console.print("\nExplore further:")
    alias = "production" if outcome.promoted else "candidate"
    for command in explore_commands(f"{PROJECT}/demo-model:{alias}"):
        console.print(f"  {command}", markup=False, soft_wrap=True)


@click.command("demo")
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False),
    help="Folder for the demo's generated and downloaded files (default: a temporary folder).",
)
def demo_command(workdir: str | None) -> None:
    """Run a 4-step pipeline (ingest, preprocess, train, evaluate) on the store in ARCHIVIST_DIR."""
    console = output_console()
    if workdir is not None:
        os.makedirs(workdir, exist_ok=True)
        run_demo(os.path.abspath(workdir), console)
        return
    with tempfile.TemporaryDirectory(prefix="archivist-demo-") as temporary:
        run_demo(temporary, console)
