"""The ``image-file`` column type: which box and mask layers, class ids, score keys
and class names the images of a column use (W&B merges them over the column)."""

from __future__ import annotations

from typing import Any

WBType = dict[str, Any]


def _const(value: Any, is_set: bool = False) -> WBType:
    return {"wb_type": "const", "params": {"val": value, "is_set": is_set}}


def _sorted(values: Any) -> list[Any]:
    return sorted(set(values), key=lambda v: (str(type(v)), v))


def image_type(
    box_layers: dict[str, Any] | None = None,
    box_score_keys: Any = (),
    mask_layers: dict[str, Any] | None = None,
    box_class_maps: dict[str, dict[str, str]] | None = None,
    mask_class_maps: dict[str, dict[str, str]] | None = None,
    class_map: dict[str, str] | None = None,
) -> WBType:
    return {
        "wb_type": "image-file",
        "params": {
            "box_layers": _const({str(k): _sorted(v) for k, v in (box_layers or {}).items()}),
            "box_score_keys": _const(_sorted(box_score_keys), is_set=True),
            "mask_layers": _const({str(k): _sorted(v) for k, v in (mask_layers or {}).items()}),
            "box_class_maps": _const(box_class_maps or {}),
            "mask_class_maps": _const(mask_class_maps or {}),
            "class_map": _const(class_map or {}),
        },
    }


def _val(t: WBType, key: str) -> Any:
    member = (t.get("params") or {}).get(key)
    if not isinstance(member, dict):
        return {} if key != "box_score_keys" else []
    return (member.get("params") or {}).get("val") or ({} if key != "box_score_keys" else [])


def _merge_layers(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {k: list(a.get(k, [])) + list(b.get(k, [])) for k in set(a) | set(b)}


def _merge_maps(a: dict[str, dict[str, str]], b: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {str(k): {**b.get(k, {}), **a.get(k, {})} for k in set(a) | set(b)}


def merge_image_types(t: WBType, other: WBType) -> WBType:
    return image_type(
        box_layers=_merge_layers(_val(t, "box_layers"), _val(other, "box_layers")),
        box_score_keys=list(_val(t, "box_score_keys")) + list(_val(other, "box_score_keys")),
        mask_layers=_merge_layers(_val(t, "mask_layers"), _val(other, "mask_layers")),
        box_class_maps=_merge_maps(_val(t, "box_class_maps"), _val(other, "box_class_maps")),
        mask_class_maps=_merge_maps(_val(t, "mask_class_maps"), _val(other, "mask_class_maps")),
        class_map={**_val(other, "class_map"), **_val(t, "class_map")},
    )
