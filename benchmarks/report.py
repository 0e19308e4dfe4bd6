"""Turning measurements into the printed table and the JSON file.

One line per operation: seconds (the operation itself), process (the child's wall
time including interpreter start-up, imports and opening the store), files/s, MB/s,
peak RSS, bytes added to the store (file sizes, and disk blocks used), then its
baseline (measured in the same run), the ratio and the issue's target.
Peers follow their operation, indented, with their ratio to the same baseline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from measure import TreeSize

MB = 1_000_000


@dataclass
class Stat:
    """The median of several repetitions of one step."""

    seconds: float
    wall_seconds: float
    peak_rss_bytes: int | None
    repeats: int


@dataclass
class BaselineRow:
    name: str
    title: str
    stat: Stat | None
    files: int
    bytes: int
    error: str | None = None


@dataclass
class PeerRow:
    peer: str
    title: str
    stat: Stat | None = None
    note: str | None = None
    """Why there is no number (not supported, failed)."""


@dataclass
class OperationRow:
    name: str
    title: str
    files: int
    bytes: int
    stat: Stat | None = None
    store_added: TreeSize | None = None
    baseline: BaselineRow | None = None
    target: str | None = None
    target_met: bool | None = None
    note: str | None = None
    """Why there is no number (not available yet, failed)."""
    result: dict[str, Any] = field(default_factory=dict)
    peers: list[PeerRow] = field(default_factory=list)

    def ratio(self) -> float | None:
        return ratio(self.stat, self.baseline)


def ratio(stat: Stat | None, baseline: BaselineRow | None) -> float | None:
    if stat is None or baseline is None or baseline.stat is None or baseline.stat.seconds <= 0:
        return None
    return stat.seconds / baseline.stat.seconds


def format_size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def _rates(seconds: float, files: int, nbytes: int) -> str:
    files_per_s = f"{files / seconds:,.0f}" if seconds > 0 and files > 1 else "-"
    mb_per_s = f"{nbytes / MB / seconds:,.1f}" if seconds > 0 and nbytes else "-"
    return f"{files_per_s:>10} {mb_per_s:>8}"


_HEAD = f"{'':<36}{'seconds':>9} {'process':>8} {'files/s':>10} {'MB/s':>8} {'peak RSS':>9} {'store +':>19}"


def _measured(title: str, stat: Stat, files: int, nbytes: int) -> str:
    return (
        f"{title:<36}{stat.seconds:>9.3f} {stat.wall_seconds:>8.2f} {_rates(stat.seconds, files, nbytes)} "
        f"{'-' if stat.peak_rss_bytes is None else format_size(stat.peak_rss_bytes):>9}"
    )


def format_baselines(rows: Sequence[BaselineRow]) -> list[str]:
    lines = ["Baselines (same run, same data)", _HEAD]
    for row in rows:
        if row.stat is None:
            lines.append(f"{row.title:<36}failed: {row.error}")
        else:
            lines.append(_measured(row.title, row.stat, row.files, row.bytes))
    return lines


def _store_added(added: TreeSize | None) -> str:
    if added is None:
        return ""
    if added.apparent_bytes == 0 and added.files == 0:
        return "+0"
    return f"+{format_size(added.apparent_bytes)} ({format_size(added.allocated_bytes)} disk)"


def _comparison(stat: Stat, row: OperationRow) -> str:
    value = ratio(stat, row.baseline)
    if row.baseline is None:
        return "ratio -"
    base = row.baseline
    base_s = "failed" if base.stat is None else f"{base.stat.seconds:.3f}s"
    shown = "-" if value is None else f"{value:.2f}x"
    return f"vs {base.title} {base_s}: ratio {shown}"


def format_operations(rows: Sequence[OperationRow]) -> list[str]:
    lines = ["Operations (medians; ratio = seconds / baseline seconds)", _HEAD]
    for row in rows:
        if row.stat is None:
            lines.append(f"{row.title:<36}{row.note}")
        else:
            verdict = ""
            if row.target is not None:
                verdict = f"  target {row.target}: {'met' if row.target_met else 'MISSED'}"
            version = f"  [{row.result['version']}]" if "version" in row.result else ""
            lines.append(
                f"{_measured(row.title, row.stat, row.files, row.bytes)} "
                f"{_store_added(row.store_added):>19}  {_comparison(row.stat, row)}{verdict}{version}"
            )
        for peer in row.peers:
            title = f"  {peer.title}"
            if peer.stat is None:
                lines.append(f"{title:<36}{peer.note}")
            else:
                lines.append(
                    f"{_measured(title, peer.stat, row.files, row.bytes)} {'':>19}  "
                    f"{_comparison(peer.stat, row)}"
                )
    return lines


def to_json(header: dict[str, Any], baselines: Sequence[BaselineRow], rows: Sequence[OperationRow]) -> str:
    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    operations = []
    for row in rows:
        data = asdict(row)
        data["ratio"] = row.ratio()
        for peer, peer_data in zip(row.peers, data["peers"], strict=True):
            peer_data["ratio"] = ratio(peer.stat, row.baseline)
        operations.append(data)
    body = {**header, "baselines": [asdict(b) for b in baselines], "operations": operations}
    return json.dumps(clean(body), indent=2)
