"""One-line notices to the user on stderr, and rich progress bars that stay
quiet when stderr is not a terminal."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from archivist.core.progress import Progress

_PREFIX = "archivist: "
_silent = False
_silent_in_code = False
"""Asked by ``set_silent`` (the process itself)..."""
_silent_by_settings = False
"""...or by the settings of the context opened last (``ARCHIVIST_SILENT``)."""
_once_lock = threading.Lock()
_last_said: dict[str, float] = {}
_said_by_caller: list[str] = []
"""Key prefixes of throttled notices that the running command says itself (see ``said_by_caller``)."""

DEDUP_NOTICE = "dedup:"
"""Key prefix of the notice that a logged artifact was identical to an existing version."""


def set_silent(silent: bool) -> None:
    """No notices or warnings, no progress bars, whatever the settings say."""
    global _silent, _silent_in_code
    _silent_in_code = silent
    _silent = _silent_in_code or _silent_by_settings


def apply_settings(silent: bool) -> None:
    """``ARCHIVIST_SILENT`` of the settings in effect; a silence asked for in code stays."""
    global _silent, _silent_by_settings
    _silent_by_settings = silent
    _silent = _silent_in_code or _silent_by_settings


@contextmanager
def said_by_caller(key_prefix: str) -> Iterator[None]:
    """Within this block, throttled notices whose key starts with ``key_prefix`` are not
    printed: the caller (a CLI command) reports that outcome in its own output, once."""
    with _once_lock:
        _said_by_caller.append(key_prefix)
    try:
        yield
    finally:
        with _once_lock:
            _said_by_caller.remove(key_prefix)


def termlog(message: str) -> None:
    if not _silent:
        print(_PREFIX + message, file=sys.stderr, flush=True)


def termwarn(message: str) -> None:
    if not _silent:
        print(_PREFIX + "warning: " + message, file=sys.stderr, flush=True)


def termlog_throttled(key: str, message: str, every_seconds: float = 60.0) -> None:
    """Say ``message`` at most once per ``every_seconds`` for the same key."""
    now = time.monotonic()
    with _once_lock:
        if any(key.startswith(prefix) for prefix in _said_by_caller):
            return
        last = _last_said.get(key)
        if last is not None and now - last < every_seconds:
            return
        _last_said[key] = now
    termlog(message)


def _interactive() -> bool:
    return not _silent and sys.stderr.isatty()


@contextmanager
def transfer_progress(description: str, total_bytes: int) -> Iterator[Progress]:
    """Yield a callback advancing a bytes progress bar; a no-op off a terminal."""
    if not _interactive() or total_bytes <= 0:
        yield lambda _n: None
        return
    from rich.progress import BarColumn, Progress

    from archivist.sdk.progress_columns import EtaColumn, SizeColumn, SpeedColumn

    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        SizeColumn(),
        SpeedColumn(),
        EtaColumn(),
    )
    lock = threading.Lock()
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(description, total=total_bytes)

        def advance(n: int) -> None:
            with lock:
                progress.update(task, advance=n)

        yield advance


@contextmanager
def count_progress(description: str, unit: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Yield a callback advancing a count of ``unit`` (objects listed, references checked);
    a no-op off a terminal. Without ``total`` it shows the running count and the time elapsed."""
    if not _interactive():
        yield lambda _n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TimeElapsedColumn

    if total is None:
        columns: tuple[object, ...] = (
            SpinnerColumn(),
            "[progress.description]{task.description}",
            "{task.completed:,} " + unit,
            TimeElapsedColumn(),
        )
    else:
        columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
    lock = threading.Lock()
    with Progress(*columns, transient=True) as progress:  # type: ignore[arg-type]
        task = progress.add_task(description, total=total)

        def advance(n: int) -> None:
            with lock:
                progress.update(task, advance=n)

        yield advance
