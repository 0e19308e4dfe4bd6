"""A run's metric history: the rows ``run.log`` builds, buffered so that logging
in a tight loop costs no store round trip per call.

Step rules follow W&B: each committed row gets ``_step`` (0, 1, 2, ...),
``_timestamp`` (epoch seconds) and ``_runtime`` (seconds since the run started).
``log(data)`` merges into the current row and commits it. ``log(data, step=n)``
merges into row ``n`` and commits it only once a later step arrives (or with
``commit=True``); a step below the current one is ignored with a warning.
``commit=False`` keeps merging into the current row.
"""

from __future__ import annotations

import operator
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.core.json_values import json_friendly
from archivist.sdk.debounce import Debouncer
from archivist.sdk.termlog import termwarn

BATCH_ROWS = 100
"""Write to the store once this many committed rows are buffered ..."""
FLUSH_SECONDS = 2.0
"""... or this long after the first unwritten row, whichever comes first."""

RowWriter = Callable[[Sequence[Mapping[str, Any]]], None]


class History:
    def __init__(
        self,
        write_rows: RowWriter,
        start_time: float,
        start_step: int = 0,
        batch_rows: int = BATCH_ROWS,
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self._write_rows = write_rows
        self._start_time = start_time
        self._batch_rows = batch_rows
        self._lock = threading.Lock()
        self._step = start_step
        self._last_step: int | None = start_step - 1 if start_step > 0 else None
        self._row: dict[str, Any] = {}
        self._buffer: list[dict[str, Any]] = []
        self._writer = Debouncer(self._write_buffer, flush_seconds, "metric history")

    @property
    def step(self) -> int:
        """The step the next committed row gets."""
        return self._step

    @property
    def last_step(self) -> int | None:
        """The ``_step`` of the last committed row, None before any."""
        return self._last_step

    def log(
        self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None
    ) -> dict[str, Any]:
        """Add values to the history; returns what the summary should take from this call
        (the values, plus ``_step``/``_runtime``/``_timestamp`` when a row was committed)."""
        values = history_values(data)
        step = as_step(step)
        with self._lock:
            if step is not None and step < self._step:
                termwarn(
                    f"step {step} is below the current step {self._step}; "
                    f"the data logged with it is ignored (keys: {sorted(values)})"
                )
                return {}
            if step is not None and step > self._step:
                self._commit_locked()
                self._step = step
            self._row.update(values)
            if commit or (commit is None and step is None):
                committed = self._commit_locked()
                values = committed or values
            buffered = len(self._buffer)
        if buffered:
            self._writer.touch()
        if buffered >= self._batch_rows:
            self._writer.flush()
        return values

    def close(self) -> None:
        """Commit the row being built and write every buffered row (at finish)."""
        with self._lock:
            self._commit_locked()
        self._writer.close()

    def _commit_locked(self) -> dict[str, Any] | None:
        if not self._row:
            return None
        now = time.time()
        row = {
            **self._row,
            "_step": self._step,
            "_timestamp": now,
            "_runtime": max(0.0, now - self._start_time),
        }
        self._buffer.append(row)
        self._row = {}
        self._last_step = self._step
        self._step += 1
        return row

    def _write_buffer(self) -> None:
        with self._lock:
            rows, self._buffer = self._buffer, []
        if not rows:
            return
        try:
            self._write_rows(rows)
        except BaseException:
            with self._lock:
                self._buffer[:0] = rows  # keep order; the next flush retries
            raise


def history_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-friendly copies of logged values (``json_friendly``: NaN becomes None,
    ±Infinity stays, as W&B keeps it)."""
    if not isinstance(data, Mapping):
        raise InvalidInputError(f"log() takes a dict of metrics, got {type(data).__name__}: {data!r}")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key:
            raise InvalidInputError(f"metric names must be non-empty strings, got {key!r}")
        out[key] = json_friendly(value, f"metric {key!r}")
    return out


def as_step(step: object) -> int | None:
    """A valid step (numpy integers accepted) or None; anything else is refused."""
    if step is None:
        return None
    try:
        number = operator.index(step)  # type: ignore[arg-type]
    except TypeError:
        number = -1
    if isinstance(step, bool) or number < 0:
        raise InvalidInputError(f"step must be a non-negative integer, got {step!r}")
    return number
