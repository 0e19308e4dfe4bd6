"""``run.log({"preds": table})``: a table logged to a run is saved as an artifact, as
W&B does, and the history row holds a small pointer to it.

- ``Table``, ``JoinedTable``, ``PartitionedTable``: artifact ``run-<run id>-<key>`` of type
  ``run_table`` with the entry ``<key>.table.json`` (``.joined-table.json``, ...).
- ``Table(log_mode="INCREMENTAL")``: artifact ``run-<run id>-incr-<key>`` of type
  ``wandb-run-incremental-table``; each log adds the rows added since the last one as
  ``<n>-<epoch ms>.<key>.table.json`` to a new version built on the previous one.
- An ``IMMUTABLE`` table logged again unchanged makes no new version (its pointer is
  repeated); a ``MUTABLE`` one makes a version per log (identical content dedups).
- A pandas ``DataFrame`` is logged as the ``Table`` made from it, as W&B does.
- ``Histogram`` values are stored in the history row as their JSON; other media
  (images, audio, ...) become files of the run (``archivist.sdk.run_media``).
"""

from __future__ import annotations

import base64
import re
import time
import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from archivist.sdk import run_media
from archivist.sdk.artifact import Artifact

if TYPE_CHECKING:
    from archivist.sdk.run import Run

RUN_TABLE_TYPE = "run_table"
INCREMENTAL_TYPE = "wandb-run-incremental-table"
_TABLE_TYPES = ("table", "joined-table", "partitioned-table")


def sanitize_artifact_name(name: str) -> str:
    """W&B's rule: characters an artifact name cannot hold are dropped and a short CRC
    of the original keeps names distinct."""
    sanitized = re.sub(r"[^a-zA-Z0-9_\-.]+", "", name)
    if sanitized == name:
        return name
    crc = (zlib.crc32(name.encode("utf-8")) & 0xFFFFFFFF).to_bytes(4, "big")
    return f"{sanitized}-{base64.urlsafe_b64encode(crc).rstrip(b'=').decode('ascii')}"


def log_values(run: Run, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with each table replaced by its pointer (after logging its artifact) and
    each histogram by its JSON; other values are left as they are."""
    from archivist.sdk.data_types.histogram import Histogram
    from archivist.sdk.data_types.table import Table, is_dataframe
    from archivist.sdk.data_types.wb_value import WBValue

    if isinstance(data, Mapping) and any(is_dataframe(v) for v in data.values()):
        data = {k: Table(dataframe=v) if is_dataframe(v) else v for k, v in data.items()}

    def is_media(value: Any) -> bool:
        return isinstance(value, WBValue) or (
            isinstance(value, (list, tuple)) and bool(value) and isinstance(value[0], WBValue)
        )

    if not isinstance(data, Mapping) or not any(is_media(v) for v in data.values()):
        return data
    out = dict(data)
    for key, value in data.items():
        if isinstance(value, Histogram):
            out[key] = value.to_json()
        elif isinstance(value, WBValue) and value._log_type in _TABLE_TYPES:
            out[key] = _log_table(run, str(key), value)
        else:
            media = run_media.media_values(run, str(key), value)
            out[key] = value if media is None else media
    return out


def _log_table(run: Run, key: str, table: Any) -> dict[str, Any]:
    from archivist.sdk.data_types.table import Table

    incremental = isinstance(table, Table) and table.log_mode == "INCREMENTAL"
    if isinstance(table, Table) and table.log_mode == "IMMUTABLE" and table._run_pointer is not None:
        return dict(table._run_pointer)
    if incremental:
        art, entry_name = _next_increment(run, key, table)
    else:
        art = Artifact.internal(sanitize_artifact_name(f"run-{run.id}-{key}"), RUN_TABLE_TYPE)
        entry_name = key
    entry = art.add(table, entry_name)
    logged = run.log_artifact(art)
    pointer: dict[str, Any] = {
        "_type": "incremental-table-file" if incremental else f"{table._log_type}-file",
        "artifact_path": f"wandb-client-artifact://{art.name}:latest/{entry.path}",
        "path": entry.path,
        "size": entry.size,
    }
    if isinstance(table, Table):
        pointer.update(ncols=len(table.columns), nrows=len(table.data), log_mode=table.log_mode)
        table._logged_once = True
        table._run_pointer = pointer
    if incremental:
        run.__dict__.setdefault("_incremental_tables", {})[key] = logged
        table._last_logged_idx = len(table.data) - 1
        table._increment_num = (table._increment_num or 0) + 1
    return pointer


def _next_increment(run: Run, key: str, table: Any) -> tuple[Artifact, str]:
    """The draft of the next increment: the previous version's entries plus the new rows."""
    previous: Artifact | None = run.__dict__.get("_incremental_tables", {}).get(key)
    name = sanitize_artifact_name(f"run-{run.id}-incr-{key}")
    draft = Artifact.internal(name, INCREMENTAL_TYPE)
    if previous is not None and not previous.is_draft():  # (a disabled run logs nothing)
        # as new_draft(), which refuses the reserved type: every entry of the last version
        draft.bind_context(previous.context)
        draft.draft_contents.add_entries(list(previous.wait().core_manifest))
    if table._increment_num is None:
        table._increment_num = 0
    epoch_ms = time.time_ns() // 1_000_000
    return draft, f"{table._increment_num}-{epoch_ms}.{key}"
