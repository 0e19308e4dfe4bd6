"""Media stored as one file each: ``Audio`` (``media/audio``), ``Video``
(``media/videos``), ``Html`` (``media/html``), ``Object3D`` (``media/object3D``) and
``Molecule`` (``media/molecule``)."""

from __future__ import annotations

import io
import json
import os
import wave
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.sdk.data_types.wb_value import (
    ArtifactSource,
    ArtifactTarget,
    Media,
    media_tmp_path,
    optional_module,
    write_tmp_bytes,
)


def _existing_file(kind: str, path: str) -> str:
    if not os.path.isfile(path):
        raise InvalidInputError(f"{kind}: {path!r} is not a file")
    return path


class Audio(Media):
    """A sound: a file, or samples (a 1-D array, or (frames, channels)) with ``sample_rate``,
    written as 16-bit WAV."""

    _log_type = "audio-file"
    _media_subdir = "media/audio"

    def __init__(self, data_or_path: Any, sample_rate: int | None = None, caption: str | None = None) -> None:
        super().__init__(caption=caption)
        self._duration: float | None = None
        self._sample_rate = sample_rate
        if isinstance(data_or_path, (str, os.PathLike)):
            self._set_file(_existing_file("Audio", os.fspath(data_or_path)))
            return
        if sample_rate is None:
            raise InvalidInputError(
                "Audio from samples needs sample_rate (e.g. Audio(samples, sample_rate=16000))"
            )
        np = optional_module("numpy", "Audio from samples")
        samples = np.asarray(data_or_path, dtype=np.float64)
        if samples.ndim not in (1, 2):
            raise InvalidInputError(
                f"Audio samples must be 1-D or (frames, channels), got shape {samples.shape}"
            )
        channels = 1 if samples.ndim == 1 else samples.shape[1]
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
        path = media_tmp_path("audio.wav")
        with wave.open(path, "wb") as out:
            out.setnchannels(channels)
            out.setsampwidth(2)
            out.setframerate(int(sample_rate))
            out.writeframes(pcm.tobytes())
        self._duration = samples.shape[0] / float(sample_rate)
        self._set_file(path, is_tmp=True, extension=".wav")

    def to_json(self, artifact: ArtifactTarget) -> dict[str, Any]:
        json_obj = super().to_json(artifact)
        json_obj.setdefault("caption", None)  # W&B's Audio.from_json reads json["caption"]
        if self._sample_rate is not None:
            json_obj["sample_rate"] = self._sample_rate
        if self._duration is not None:
            json_obj["duration"] = self._duration
        return json_obj

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> Audio:
        audio = cls(source_artifact.get_entry(json_obj["path"]).download(), caption=json_obj.get("caption"))
        audio._sample_rate = json_obj.get("sample_rate")
        audio._duration = json_obj.get("duration")
        return audio


class Video(Media):
    """A video file (mp4, webm, gif, ogg), or frames ``(time, channels, height, width)``
    written as an animated GIF."""

    _log_type = "video-file"
    _media_subdir = "media/videos"
    EXTS = ("gif", "mp4", "webm", "ogg")

    def __init__(
        self, data_or_path: Any, caption: str | None = None, fps: int | None = None, format: str | None = None
    ) -> None:
        super().__init__(caption=caption)
        self._fps = fps or 4
        self._width: int | None = None
        self._height: int | None = None
        if isinstance(data_or_path, (str, os.PathLike)):
            path = _existing_file("Video", os.fspath(data_or_path))
            extension = os.path.splitext(path)[1].lstrip(".").lower()
            if extension not in self.EXTS:
                raise InvalidInputError(
                    f"Video: unsupported format {extension!r}; use one of {', '.join(self.EXTS)}"
                )
            self._format = extension
            self._set_file(path)
            return
        if isinstance(data_or_path, io.BytesIO):
            self._format = (format or "mp4").lower()
            path = write_tmp_bytes(f"video.{self._format}", data_or_path.getvalue())
            self._set_file(path, is_tmp=True, extension=f".{self._format}")
            return
        if format not in (None, "gif"):
            raise InvalidInputError(
                f"Video from frames is written as a GIF; format={format!r} is not supported"
            )
        np = optional_module("numpy", "Video from frames")
        pil = optional_module("PIL.Image", "Video from frames")
        frames = np.asarray(data_or_path)
        if frames.ndim == 4:
            frames = frames.transpose(0, 2, 3, 1)  # (time, channels, h, w) -> (time, h, w, channels)
        elif frames.ndim != 3:
            raise InvalidInputError(
                f"Video frames must be (time, channels, height, width), got shape {frames.shape}"
            )
        frames = np.clip(frames, 0, 255).astype(np.uint8)
        if frames.ndim == 4 and frames.shape[-1] == 1:
            frames = frames[..., 0]
        images = [pil.fromarray(frame) for frame in frames]
        self._format = "gif"
        self._height, self._width = frames.shape[1], frames.shape[2]
        path = media_tmp_path("video.gif")
        images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / self._fps), loop=0)
        self._set_file(path, is_tmp=True, extension=".gif")

    def to_json(self, artifact: ArtifactTarget) -> dict[str, Any]:
        json_obj = super().to_json(artifact)
        if self._width is not None:
            json_obj["width"] = self._width
        if self._height is not None:
            json_obj["height"] = self._height
        return json_obj

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> Video:
        return cls(source_artifact.get_entry(json_obj["path"]).download(), caption=json_obj.get("caption"))


_HTML_HEAD = (
    '<base target="_blank">'
    '<link rel="stylesheet" type="text/css" href="https://app.wandb.ai/normalize.css" />'
)


def _inject_head(html: str) -> str:
    """W&B's ``inject_head``: its stylesheet and ``<base target="_blank">`` in ``<head>``."""
    if "<head>" in html:
        before, after = html.split("<head>", 1)
        parts = [before + "<head>", after]
    elif "<html>" in html:
        before, after = html.split("<html>", 1)
        parts = [before + "<html><head>", "</head>" + after]
    else:
        parts = ["", html]
    parts.insert(1, _HTML_HEAD)
    return "".join(parts).strip()


class Html(Media):
    """An HTML page: a string of HTML, a file-like object or a path to an ``.html`` file.
    ``inject`` (the default, as in W&B) adds W&B's stylesheet to the page's head."""

    _log_type = "html-file"
    _media_subdir = "media/html"

    def __init__(self, data: Any, inject: bool = True, data_is_not_path: bool = False) -> None:
        super().__init__()
        is_path = (
            isinstance(data, (str, os.PathLike))
            and not data_is_not_path
            and os.path.splitext(os.fspath(data))[1] == ".html"
            and os.path.isfile(data)
        )
        if is_path:
            with open(data, encoding="utf-8") as handle:
                self.html = handle.read()
        elif isinstance(data, str):
            self.html = data
        elif hasattr(data, "read"):
            if hasattr(data, "seek"):
                data.seek(0)
            self.html = data.read()
        else:
            raise InvalidInputError(f"Html takes a string, a file or a path, got {type(data).__name__}")
        if inject:
            self.html = _inject_head(self.html)
        if is_path and not inject:
            self._set_file(os.fspath(data))
        else:
            path = write_tmp_bytes("page.html", self.html.encode("utf-8"))
            self._set_file(path, is_tmp=True, extension=".html")

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> Html:
        return cls(source_artifact.get_entry(json_obj["path"]).download(), inject=False)


class Object3D(Media):
    """A 3-D object: a point cloud (numpy array of shape (N, 3), (N, 4) or (N, 6)) or a
    file (obj, gltf, glb, babylon, stl, pts.json)."""

    _log_type = "object3D-file"
    _media_subdir = "media/object3D"
    SUPPORTED_TYPES = ("obj", "gltf", "glb", "babylon", "stl", "pts.json")

    def __init__(self, data_or_path: Any, caption: str | None = None, **kwargs: Any) -> None:
        super().__init__(caption=caption)
        if isinstance(data_or_path, (str, os.PathLike)):
            path = _existing_file("Object3D", os.fspath(data_or_path))
            if not any(path.endswith("." + ext) for ext in self.SUPPORTED_TYPES):
                raise InvalidInputError(
                    f"Object3D: unsupported file {path!r}; use one of {', '.join(self.SUPPORTED_TYPES)}"
                )
            self._set_file(path)
            return
        if hasattr(data_or_path, "tolist"):
            shape: tuple[int, ...] = tuple(getattr(data_or_path, "shape", ()))
            if len(shape) != 2 or shape[1] not in (3, 4, 6):
                raise InvalidInputError(
                    f"Object3D point clouds are (N, 3), (N, 4) or (N, 6) arrays, got shape {shape}"
                )
            points = json.dumps(data_or_path.tolist(), separators=(",", ":")).encode("utf-8")
            self._set_file(write_tmp_bytes("points.pts.json", points), is_tmp=True, extension=".pts.json")
            return
        raise InvalidInputError(
            f"Object3D takes a numpy array or a file path, got {type(data_or_path).__name__}"
        )

    @classmethod
    def from_file(cls, data_or_path: Any, file_type: str | None = None) -> Object3D:
        return cls(data_or_path)

    @classmethod
    def from_numpy(cls, data: Any) -> Object3D:
        return cls(data)

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> Object3D:
        return cls(source_artifact.get_entry(json_obj["path"]).download(), caption=json_obj.get("caption"))


class Molecule(Media):
    """A molecule's 3-D structure: a file (pdb, pqr, mmcif, mcif, cif, sdf, sd, gro, mol2,
    mmtf), or a text stream with ``file_type``. (W&B's ``from_smiles``/``from_rdkit`` are not
    provided: they need rdkit.)"""

    _log_type = "molecule-file"
    _media_subdir = "media/molecule"
    SUPPORTED_TYPES = ("pdb", "pqr", "mmcif", "mcif", "cif", "sdf", "sd", "gro", "mol2", "mmtf")

    def __init__(self, data_or_path: Any, caption: str | None = None, file_type: str | None = None) -> None:
        super().__init__(caption=caption)
        if hasattr(data_or_path, "name") and isinstance(data_or_path.name, str):
            data_or_path = data_or_path.name  # an open file: use the file itself, as W&B does
        if isinstance(data_or_path, (str, os.PathLike)):
            path = _existing_file("Molecule", os.fspath(data_or_path))
            self._check_type(os.path.splitext(path)[1][1:], path)
            self._set_file(path)
            return
        if hasattr(data_or_path, "read"):
            if file_type is None:
                raise InvalidInputError("Molecule from a stream needs file_type (e.g. file_type='pdb')")
            self._check_type(file_type, "the stream")
            if hasattr(data_or_path, "seek"):
                data_or_path.seek(0)
            text = data_or_path.read()
            data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
            self._set_file(
                write_tmp_bytes("molecule." + file_type, data), is_tmp=True, extension="." + file_type
            )
            return
        raise InvalidInputError(
            f"Molecule takes a file path or a file object, got {type(data_or_path).__name__}"
        )

    @classmethod
    def _check_type(cls, extension: str, what: str) -> None:
        if extension not in cls.SUPPORTED_TYPES:
            raise InvalidInputError(
                f"Molecule: unsupported type {extension!r} for {what}; "
                f"use one of {', '.join(cls.SUPPORTED_TYPES)}"
            )

    @classmethod
    def from_json(cls, json_obj: dict[str, Any], source_artifact: ArtifactSource) -> Molecule:
        return cls(source_artifact.get_entry(json_obj["path"]).download(), caption=json_obj.get("caption"))
