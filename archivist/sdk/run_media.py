"""``run.log({"sample": wandb.Image(...)})``: media logged to a run (not inside a table)
become files of the run under ``media/`` (stored with ``run.save``), and the history row
holds their JSON, as W&B's run history does: ``{"_type": "image-file", "path": ...,
"sha256": ..., "size": ..., ...}``. A list of images becomes W&B's ``images/separated``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archivist.sdk.data_types.wb_value import Media, WBValue
    from archivist.sdk.run import Run


@dataclass(frozen=True)
class _RunFile:
    path: str
    digest: str


class _RunFolder:
    """The run's folder as the place ``to_json`` adds media files to."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self.saved: list[str] = []

    def _place(self, local_path: str, name: str) -> _RunFile:
        from archivist.sdk.data_types.wb_value import file_sha256

        if self._run.context is None:  # a disabled run keeps nothing
            return _RunFile(name, file_sha256(local_path))
        target = os.path.join(self._run.dir, *name.split("/"))
        if not os.path.exists(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(local_path, target)
            self.saved.append(target)
        return _RunFile(name, file_sha256(target))

    def add_file(self, local_path: str, name: str | None = None) -> _RunFile:
        return self._place(local_path, name or os.path.basename(local_path))

    def add(self, obj: WBValue, name: str, overwrite: bool = False) -> _RunFile:
        from archivist.sdk.artifact_media import with_suffix
        from archivist.sdk.data_types.wb_value import write_tmp_bytes

        name = with_suffix(name, obj._log_type)
        document = json.dumps(obj.to_json(self), sort_keys=True).encode("utf-8")
        return self._place(write_tmp_bytes(os.path.basename(name), document), name)

    def get_added_local_path_name(self, local_path: str) -> str | None:
        return None


def media_values(run: Run, key: str, value: Any) -> Any:
    """The history value for media logged under ``key`` (None when ``value`` is no media)."""
    from archivist.sdk.data_types.image import Image
    from archivist.sdk.data_types.wb_value import Media

    items = value if isinstance(value, (list, tuple)) else [value]
    if not items or not all(isinstance(v, Media) for v in items):
        return None
    folder = _RunFolder(run)
    documents = [_run_json(item, folder) for item in items]
    for path in folder.saved:
        run.save(path, base_path=run.dir, policy="now")
    if not isinstance(value, (list, tuple)):
        return documents[0]
    if all(isinstance(v, Image) for v in items):
        first = documents[0]
        grouped: dict[str, Any] = {
            "_type": "images/separated",
            "count": len(items),
            "filenames": [d["path"] for d in documents],
            "format": first.get("format"),
            "width": first.get("width"),
            "height": first.get("height"),
        }
        captions = [d.get("caption") for d in documents]
        if any(c is not None for c in captions):
            grouped["captions"] = captions
        return grouped
    return documents


def _run_json(item: Media, folder: _RunFolder) -> dict[str, Any]:
    document = item.to_json(folder)
    document["size"] = item._size
    return document
