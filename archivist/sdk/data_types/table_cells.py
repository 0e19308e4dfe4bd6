"""How table cells are written to and read from W&B's JSON: numpy values as plain
numbers and lists, datetimes as epoch milliseconds, media as their JSON; and, reading,
timestamps, array columns and media back as values. Incremental tables are read from
every increment in the artifact."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from archivist.sdk.data_types.wb_value import ArtifactSource, ArtifactTarget, WBValue


def cell_json(value: Any, artifact: ArtifactTarget) -> Any:
    """A cell as W&B writes it (its ``_json_helper``)."""
    if isinstance(value, WBValue):
        return value.to_json(artifact)
    if value.__class__ is dict:
        return {key: cell_json(item, artifact) for key, item in value.items()}
    if hasattr(value, "tolist"):
        plain = value.tolist()
        if type(value).__name__ == "datetime64" and isinstance(plain, int):
            return plain / 1_000_000  # nanoseconds -> milliseconds
        return cell_json(plain, artifact)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return cell_json(value.item(), artifact)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp() * 1000)
    if isinstance(value, dt.date):
        return int(dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    if isinstance(value, (list, tuple)):
        return [cell_json(item, artifact) for item in value]
    if isinstance(value, (set, frozenset)):
        return [cell_json(item, artifact) for item in sorted(value, key=repr)]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def cell_value(
    item: Any, row: int, column: int, timestamps: set[int], arrays: dict[int, Any], source: ArtifactSource
) -> Any:
    if column in timestamps and isinstance(item, (int, float)) and not isinstance(item, bool):
        return dt.datetime.fromtimestamp(item / 1000, tz=dt.timezone.utc)
    if column in arrays:
        return arrays[column][row]
    if isinstance(item, dict) and "_type" in item:
        value = WBValue.init_from_json(item, source)
        if value is not None:
            return value
    return item


def increment_rows(json_obj: dict[str, Any], source: ArtifactSource) -> Sequence[Any]:
    """An incremental table's rows are every increment's (``<n>-<ms>.<key>.table.json``)."""
    if json_obj.get("log_mode") != "INCREMENTAL" or json_obj.get("increment_num") is None:
        rows: Sequence[Any] = json_obj["data"]
        return rows

    def order(path: str) -> tuple[int, int]:
        try:
            head = path.rsplit("/", 1)[-1].split(".")[0].split("-")
            return int(head[0]), int(head[1]) if len(head) > 1 else 0
        except ValueError:
            return (0, 0)

    entries = [p for p in source.manifest.entries if p.endswith(".table.json")]  # type: ignore[attr-defined]
    collected: list[Any] = []
    for path in sorted(entries, key=order):
        with open(source.get_entry(path).download(), encoding="utf-8") as handle:
            collected.extend(json.load(handle)["data"])
    return collected
