"""Tables on stdout: a rich table in a terminal, plain aligned columns in a pipe (easy to
grep and cut), and JSON for scripts (``--json``)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text


def print_json(value: object) -> None:
    """``value`` as indented JSON on stdout (one document per command)."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def plain_lines(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[str] = ()
) -> list[str]:
    """Columns padded to their widest cell (``right`` ones right-aligned); the last is not padded."""
    table = [tuple(headers), *(tuple(row) for row in rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(headers))]
    lines = []
    for cells in table:
        padded = [
            cell.rjust(widths[i]) if headers[i] in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        padded[-1] = cells[-1].rjust(widths[-1]) if headers[-1] in right else cells[-1]
        lines.append("  ".join(padded).rstrip())
    return lines


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str,
    console: Console,
    right: Collection[str] = (),
) -> None:
    if not console.is_terminal:
        for line in plain_lines(headers, rows, right):
            console.print(line, markup=False, soft_wrap=True)
        return
    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(header.title(), justify="right" if header in right else "left")
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)
