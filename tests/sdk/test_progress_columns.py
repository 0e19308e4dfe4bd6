"""The bytes progress bar: sizes and speed in one unit, an ETA hidden until the rate is known
and then taken from the mean rate (rendered by rich on a recording console)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import BarColumn, Progress

from archivist.sdk.progress_columns import (
    EtaColumn,
    RateClock,
    SizeColumn,
    SpeedColumn,
    done_of_total,
    format_eta,
)

GIB = 1 << 30


def test_done_and_total_are_in_the_totals_unit() -> None:
    assert done_of_total(0, int(1.6 * GIB)) == "0.0/1.6GiB"
    assert done_of_total(512 << 20, int(1.6 * GIB)) == "0.5/1.6GiB"
    assert done_of_total(100, 900) == "100/900B"
    assert done_of_total(300 << 10, 2 << 20) == "0.3/2.0MiB"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_eta_waits_for_a_second_of_moving_bytes_then_uses_the_mean_rate() -> None:
    clock = FakeClock()
    rate = RateClock(now=clock)
    assert rate.seconds_left(0, 1000) is None  # nothing moved yet
    clock.now = 5.0  # a slow start (planning, the first connection) does not count
    rate.note(10)
    clock.now = 5.5
    assert rate.seconds_left(60, 1000) is None  # half a second of data: too early
    clock.now = 6.0
    assert rate.seconds_left(110, 1000) == 8.9  # 100 bytes/s since the first bytes: 890 bytes left
    assert format_eta(8.9) == "ETA 0:09" and format_eta(3725) == "ETA 1:02:05" and format_eta(None) == "ETA …"


def test_a_rendered_bar_names_one_unit_and_no_eta_at_first() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    columns = ("{task.description}", BarColumn(bar_width=10), SizeColumn(), SpeedColumn(), EtaColumn())
    with Progress(*columns, console=console, auto_refresh=False) as progress:
        task = progress.add_task("Downloading 3 files (1.6GiB)", total=int(1.6 * GIB))
        progress.update(task, advance=64 << 20)
        progress.refresh()
    text = out.getvalue()
    assert "0.1/1.6GiB" in text and "GB" not in text.replace("GiB", "")
    assert "ETA …" in text  # the rate is not known after one update
