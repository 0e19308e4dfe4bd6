"""What is drawn over an image: class names (``Classes``), segmentation masks
(``ImageMask``) and bounding boxes (``BoundingBoxes2D``), in W&B's artifact JSON."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.sdk.data_types.wb_value import (
    ArtifactSource,
    ArtifactTarget,
    Media,
    WBValue,
    media_tmp_path,
    optional_module,
)


class Classes(WBValue):
    """Class ids and names (``[{"id": 1, "name": "cat"}, ...]``) for masks and boxes."""

    _log_type = "classes"

    def __init__(self, class_set: Sequence[Mapping[str, Any]]) -> None:
        for item in class_set:
            if not isinstance(item, Mapping) or "id" not in item or "name" not in item:
                raise InvalidInputError(f"Classes takes dicts with 'id' and 'name', got {item!r}")
        self._class_set = [dict(item) for item in class_set]

    @property
    def class_set(self) -> list[dict[str, Any]]:
        return self._class_set

    def to_json(self, artifact: ArtifactTarget | None = None) -> dict[str, Any]:
        return {"_type": self._log_type, "class_set": self._class_set}

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource | None = None) -> Classes:
        return cls(json_obj.get("class_set") or [])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Classes) and self._class_set == other._class_set

    __hash__ = None  # type: ignore[assignment]


def _labels(value: Mapping[str, Any]) -> dict[Any, str]:
    labels = value.get("class_labels") or {}
    if not isinstance(labels, Mapping):
        raise InvalidInputError(f"class_labels must be a dict of class id to name, got {labels!r}")
    return dict(labels)


class ImageMask(Media):
    """A segmentation mask: ``{"mask_data": 2-D array of class ids, "class_labels": {...}}``
    or ``{"path": "mask.png"}``; stored as a PNG under ``media/images/mask/``."""

    _log_type = "mask"
    _media_subdir = "media/images/mask"

    def __init__(self, val: Mapping[str, Any], key: str) -> None:
        super().__init__()
        if not isinstance(val, Mapping) or ("mask_data" not in val and "path" not in val):
            raise InvalidInputError(f"mask {key!r} needs 'mask_data' (a 2-D array) or 'path', got {val!r}")
        self._key = key
        self.class_labels = _labels(val)
        if "path" in val:
            self._set_file(os.fspath(val["path"]))
            return
        np = optional_module("numpy", "an image mask")
        data = np.asarray(val["mask_data"])
        if data.ndim != 2:
            raise InvalidInputError(f"mask {key!r}: mask_data must be a 2-D array, got shape {data.shape}")
        if data.size and (data.min() < 0 or data.max() > 255):
            raise InvalidInputError(f"mask {key!r}: mask_data must be integers between 0 and 255")
        pil = optional_module("PIL.Image", "an image mask")
        path = media_tmp_path(f"{key or 'mask'}.mask.png")
        pil.fromarray(data.astype(np.uint8), mode="L").save(path)
        self._set_file(path, is_tmp=True, extension=".mask.png")

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> ImageMask:
        return cls({"path": source_artifact.get_entry(json_obj["path"]).download()}, key="")


class BoundingBoxes2D(WBValue):
    """Boxes over an image: ``{"box_data": [{"position": ..., "class_id": ...}], "class_labels": {...}}``.
    In an artifact W&B stores just the ``box_data`` list."""

    _log_type = "bounding-boxes"

    def __init__(self, val: Mapping[str, Any], key: str) -> None:
        if not isinstance(val, Mapping) or not isinstance(val.get("box_data"), list):
            raise InvalidInputError(f"boxes {key!r} need 'box_data': a list of boxes, got {val!r}")
        for box in val["box_data"]:
            if not isinstance(box, Mapping) or "position" not in box:
                raise InvalidInputError(f"boxes {key!r}: each box needs a 'position', got {box!r}")
        self._key = key
        self.box_data: list[dict[str, Any]] = [dict(b) for b in val["box_data"]]
        if "class_labels" in val:
            self.class_labels = _labels(val)
        else:  # W&B names the ids the boxes use
            ids = sorted({int(box["class_id"]) for box in self.box_data if "class_id" in box})
            self.class_labels = {i: f"class_{i}" for i in ids}

    def to_json(self, artifact: ArtifactTarget) -> Any:
        return self.box_data

    @classmethod
    def from_json(cls, json_obj: Any, source_artifact: ArtifactSource) -> BoundingBoxes2D:
        return cls({"box_data": json_obj}, "")

    def score_keys(self) -> set[str]:
        return {key for box in self.box_data for key in (box.get("scores") or {})}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BoundingBoxes2D) and self.box_data == other.box_data

    __hash__ = None  # type: ignore[assignment]
