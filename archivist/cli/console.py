"""Rich consoles for the command's output.

In a terminal rich picks the width and colours. When the output goes to a pipe
or a file, lines must not be wrapped at 80 columns (scripts grep them), so the
console is made wide and colourless there.
"""

from __future__ import annotations

from rich.console import Console

PIPE_WIDTH = 200


def output_console(stderr: bool = False) -> Console:
    """A console writing to the current sys.stdout (or sys.stderr)."""
    console = Console(stderr=stderr, highlight=False)
    if console.is_terminal:
        return console
    return Console(stderr=stderr, highlight=False, width=PIPE_WIDTH, no_color=True)
