"""``Image``: a numpy array, a PIL image or an image file, with an optional caption,
boxes, masks and classes; stored as W&B's ``image-file`` (file under ``media/images/``)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.sdk.data_types.image_overlays import BoundingBoxes2D, Classes, ImageMask
from archivist.sdk.data_types.image_types import image_type
from archivist.sdk.data_types.wb_value import (
    ArtifactSource,
    ArtifactTarget,
    Media,
    media_tmp_path,
    optional_module,
)


def _to_pil(data: Any, mode: str | None, normalize: bool) -> Any:
    np = optional_module("numpy", "an Image from an array")
    pil = optional_module("PIL.Image", "an Image from an array")
    if hasattr(data, "detach"):  # a torch tensor: channels first
        data = data.detach().cpu().numpy()
        if data.ndim == 3:
            data = data.transpose(1, 2, 0)
    array = np.asarray(data)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise InvalidInputError(
            f"unsupported image shape {list(array.shape)}: "
            "use (height, width), (height, width, 3) or (height, width, 4)"
        )
    if array.dtype != np.uint8:
        if normalize and array.size and array.min() >= 0 and array.max() <= 1:
            array = array * 255
        array = np.clip(array, 0, 255).astype(np.uint8)
    guessed = "L" if array.ndim == 2 else ("RGB" if array.shape[-1] == 3 else "RGBA")
    return pil.fromarray(array, mode=mode or guessed)


class Image(Media):
    """W&B's ``wandb.Image``."""

    _log_type = "image-file"
    _media_subdir = "media/images"

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        grouping: int | None = None,
        classes: Classes | Sequence[Mapping[str, Any]] | None = None,
        boxes: Mapping[str, BoundingBoxes2D | Mapping[str, Any]] | None = None,
        masks: Mapping[str, ImageMask | Mapping[str, Any]] | None = None,
        file_type: str | None = None,
        normalize: bool = True,
    ) -> None:
        super().__init__(caption=caption)
        self._grouping = grouping
        self._image: Any = None
        self.format: str
        if isinstance(data_or_path, Image):
            self.__dict__.update({k: v for k, v in data_or_path.__dict__.items() if k != "_caption"})
        elif isinstance(data_or_path, (str, os.PathLike)):
            path = os.fspath(data_or_path)
            if not os.path.isfile(path):
                raise InvalidInputError(f"Image: {path!r} is not a file")
            self._set_file(path)
            self.format = os.path.splitext(path)[1].lstrip(".").lower() or "png"
            pil = optional_module("PIL.Image", "an Image")
            with pil.open(path) as img:
                self._width, self._height = img.size
        else:
            pil_image = data_or_path
            if not (hasattr(pil_image, "save") and hasattr(pil_image, "size") and hasattr(pil_image, "mode")):
                pil_image = _to_pil(data_or_path, mode, normalize)
            elif mode is not None:
                pil_image = pil_image.convert(mode)
            self.format = (file_type or "png").lower()
            if self.format == "jpg":
                self.format = "jpeg"
            if self.format == "jpeg" and pil_image.mode == "RGBA":
                pil_image = pil_image.convert("RGB")
            extension = ".jpg" if self.format == "jpeg" else f".{self.format}"
            path = media_tmp_path(f"image{extension}")
            pil_image.save(path)
            self._image = pil_image
            self._width, self._height = pil_image.size
            self._set_file(path, is_tmp=True, extension=extension)
        self._boxes = {
            k: v if isinstance(v, BoundingBoxes2D) else BoundingBoxes2D(v, k)
            for k, v in (boxes or {}).items()
        }
        self._masks = {
            k: v if isinstance(v, ImageMask) else ImageMask(v, k) for k, v in (masks or {}).items()
        }
        self._classes = self._complete_classes(classes)

    def _complete_classes(self, classes: Classes | Sequence[Mapping[str, Any]] | None) -> Classes | None:
        """The classes, plus every id the boxes' and masks' labels name (W&B merges them)."""
        if classes is not None and not isinstance(classes, Classes):
            classes = Classes(classes)
        labels: dict[Any, str] = {}
        for box in self._boxes.values():
            labels.update(box.class_labels)
        for mask in self._masks.values():
            labels.update(mask.class_labels)
        if classes is None and not labels:
            return None
        class_set = list(classes.class_set) if classes is not None else []
        known = {str(item["id"]) for item in class_set}
        for class_id, name in labels.items():
            if str(class_id) not in known:
                class_set.append({"id": class_id, "name": name})
                known.add(str(class_id))
        return Classes(class_set)

    # --- properties W&B users read ----------------------------------------------------------
    @property
    def image(self) -> Any:
        """The picture as a PIL image (opened on first use)."""
        if self._image is None and self._path is not None:
            pil = optional_module("PIL.Image", "Image.image")
            with pil.open(self._path) as img:
                img.load()
                self._image = img.copy()
        return self._image

    @property
    def width(self) -> int:
        return int(self._width)

    @property
    def height(self) -> int:
        return int(self._height)

    @property
    def boxes(self) -> dict[str, BoundingBoxes2D]:
        return self._boxes

    @property
    def masks(self) -> dict[str, ImageMask]:
        return self._masks

    @property
    def classes(self) -> Classes | None:
        return self._classes

    def to_data_array(self) -> Any:
        """The pixels as a numpy array."""
        np = optional_module("numpy", "Image.to_data_array()")
        return np.array(self.image)

    # --- JSON ---------------------------------------------------------------------------
    def column_type(self) -> dict[str, Any]:
        box_layers = {k: list(b.class_labels) for k, b in self._boxes.items()}
        mask_layers = {k: list(m.class_labels) for k, m in self._masks.items()}
        score_keys: set[str] = set()
        for box in self._boxes.values():
            score_keys |= box.score_keys()
        classes = self._classes.class_set if self._classes is not None else []
        return image_type(
            box_layers=box_layers,
            box_score_keys=score_keys,
            mask_layers=mask_layers,
            box_class_maps={
                k: {str(i): n for i, n in b.class_labels.items()} for k, b in self._boxes.items()
            },
            mask_class_maps={
                k: {str(i): n for i, n in m.class_labels.items()} for k, m in self._masks.items()
            },
            class_map={str(c["id"]): c["name"] for c in classes},
        )

    @classmethod
    def empty_column_type(cls) -> dict[str, Any]:
        return image_type()

    def to_json(self, artifact: ArtifactTarget) -> dict[str, Any]:
        json_obj = super().to_json(artifact)
        json_obj["format"] = self.format
        json_obj["width"] = self._width
        json_obj["height"] = self._height
        if self._grouping:
            json_obj["grouping"] = self._grouping
        if self._classes is not None:
            class_id = hashlib.md5(
                str(self._classes.class_set).encode("utf-8"), usedforsecurity=False
            ).hexdigest()
            entry = artifact.add(self._classes, f"media/classes/{class_id}_cls")
            json_obj["classes"] = {"type": "classes-file", "path": entry.path, "digest": entry.digest}
        if self._boxes:
            json_obj["boxes"] = {k: box.to_json(artifact) for k, box in self._boxes.items()}
        if self._masks:
            json_obj["masks"] = {k: mask.to_json(artifact) for k, mask in self._masks.items()}
        return json_obj

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> Image:
        classes = None
        if json_obj.get("classes") is not None:
            classes = source_artifact.get(json_obj["classes"]["path"])
        masks = {k: ImageMask.from_json(v, source_artifact) for k, v in (json_obj.get("masks") or {}).items()}
        boxes = {
            k: BoundingBoxes2D.from_json(v, source_artifact) for k, v in (json_obj.get("boxes") or {}).items()
        }
        for key, mask in masks.items():
            mask._key = key
        for key, box in boxes.items():
            box._key = key
        return cls(
            source_artifact.get_entry(json_obj["path"]).download(),
            caption=json_obj.get("caption"),
            grouping=json_obj.get("grouping"),
            classes=classes,
            boxes=boxes or None,
            masks=masks or None,
        )

    def __repr__(self) -> str:
        return f"<Image {self._width}x{self._height} {self.format} {self._path}>"
