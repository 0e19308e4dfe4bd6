"""The columns of a bytes progress bar: sizes and speed in one unit (the binary units of
``format_size``, as the bar's description uses), and an ETA from the mean rate since the
first bytes moved, hidden until that rate is known.

rich's own columns mix decimal and binary units (``1.5GiB ... 0.0/1.6 GB``), and its ETA
divides by a rate measured over the first samples, so an 8-second download could start
by promising minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.progress import ProgressColumn, Task
from rich.text import Text

from archivist.core.sizes import format_size

ETA_AFTER_SECONDS = 1.0
"""The ETA is shown once bytes have moved for this long: earlier rates are noise."""
UNKNOWN_ETA = "ETA …"


@dataclass
class RateClock:
    """When the first bytes of a task moved, and how many had moved by then; the mean
    rate since is what the ETA divides by."""

    started: float | None = None
    base: float = 0.0
    now: Callable[[], float] = field(default=time.monotonic, repr=False)

    def note(self, completed: float) -> None:
        if self.started is None and completed > 0:
            self.started, self.base = self.now(), completed

    def seconds_left(self, completed: float, total: float | None) -> float | None:
        """None until the rate is known (bytes moved for ``ETA_AFTER_SECONDS``)."""
        if self.started is None or total is None:
            return None
        moving = self.now() - self.started
        moved = completed - self.base
        if moving < ETA_AFTER_SECONDS or moved <= 0:
            return None
        return max(total - completed, 0.0) / (moved / moving)


BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def done_of_total(done: float, total: float) -> str:
    """``'0.4/1.6GiB'``: both in the unit ``format_size`` picks for the total."""
    shown_total = format_size(total)
    unit = shown_total.lstrip("0123456789.-")
    scale = 1024 ** BINARY_UNITS.index(unit)
    if unit == "B":
        return f"{done:.0f}/{shown_total}"
    return f"{done / scale:.1f}/{shown_total}"


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return UNKNOWN_ETA
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"ETA {hours}:{minutes:02d}:{secs:02d}" if hours else f"ETA {minutes}:{secs:02d}"


class SizeColumn(ProgressColumn):
    """``0.4/1.6GiB``: done and total in the total's unit."""

    def render(self, task: Task) -> Text:
        return Text(done_of_total(task.completed, task.total or 0), style="progress.download")


class SpeedColumn(ProgressColumn):
    """``210.3MiB/s``; blank until rich has a rate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{format_size(speed)}/s", style="progress.data.speed")


class EtaColumn(ProgressColumn):
    """Time left at the mean rate since the first bytes moved (``ETA …`` until known)."""

    def __init__(self) -> None:
        super().__init__()
        self.clocks: dict[int, RateClock] = {}

    def render(self, task: Task) -> Text:
        clock = self.clocks.setdefault(int(task.id), RateClock())
        clock.note(task.completed)
        if task.finished:
            return Text("")
        return Text(format_eta(clock.seconds_left(task.completed, task.total)), style="progress.remaining")
