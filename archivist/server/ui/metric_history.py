"""A run's metric history as chart series: one series per numeric key, against ``_step``.

History is read through the UiBackend in pages; long histories are thinned to at
most ``MAX_POINTS`` evenly spaced rows so a chart stays quick to draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from archivist.core.models import RunRef
from archivist.server.ui.ui_backend import UiBackend

PAGE_ROWS = 1000
MAX_ROWS = 20_000
MAX_POINTS = 2000
MAX_SERIES = 50
STEP = "_step"


def read_rows(backend: UiBackend, ref: RunRef) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``MAX_ROWS`` history rows in step order, and whether more exist."""
    rows: list[dict[str, Any]] = []
    next_step = 0
    while len(rows) < MAX_ROWS:
        page = backend.read_history(ref, min_step=next_step, limit=PAGE_ROWS)
        rows.extend(page)
        if len(page) < PAGE_ROWS:
            return rows, False
        next_step = int(page[-1][STEP]) + 1
    return rows[:MAX_ROWS], True


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def chart_series(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"steps": [...], "series": [{"name": key, "values": [...]}, ...]}`` for the page's script;
    a row without a key has null at that step."""
    if len(rows) > MAX_POINTS:
        stride = math.ceil(len(rows) / MAX_POINTS)
        rows = [*rows[::stride][: MAX_POINTS - 1], rows[-1]]
    keys: dict[str, None] = {}
    for row in rows:
        for key, value in row.items():
            if not key.startswith("_") and _is_number(value):
                keys.setdefault(key, None)
    names = sorted(keys)[:MAX_SERIES]
    return {
        "steps": [row.get(STEP, i) for i, row in enumerate(rows)],
        "series": [
            {"name": name, "values": [row[name] if _is_number(row.get(name)) else None for row in rows]}
            for name in names
        ],
    }
