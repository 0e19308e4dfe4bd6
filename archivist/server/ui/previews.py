"""Previews of one file of a version: text, JSON, CSV (first rows as a table) and
images; reference entries show their URI; anything else offers a download.

Bytes come through the UiBackend: straight from the blob file when the store is
on this machine, otherwise the blob is downloaded into a temporary file first
(only up to ``MAX_REMOTE_PREVIEW`` bytes, since the UiBackend has no ranged read).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import posixpath
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from archivist.core.manifest import Entry
from archivist.server.ui.ui_backend import UiBackend

TEXT_PREVIEW_BYTES = 64 * 1024
JSON_PREVIEW_BYTES = 256 * 1024
"""Larger JSON files are previewed as text: a tree of megabytes would be too slow to show."""
CSV_PREVIEW_BYTES = 256 * 1024
CSV_PREVIEW_ROWS = 50
"""Data rows shown below the header row."""
MAX_REMOTE_PREVIEW = 20 * 1024 * 1024

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
}
"""Images shown inline. SVG is left out on purpose: it can carry scripts."""
CSV_DELIMITERS = {".csv": ",", ".tsv": "\t"}
JSON_SUFFIXES = (".json",)


@dataclass(frozen=True)
class Preview:
    kind: str  # reference | image | json | csv | text | binary | too_large | empty
    text: str = ""
    data: Any = None
    rows: list[list[str]] = field(default_factory=list)
    truncated: bool = False


def suffix(path: str) -> str:
    return posixpath.splitext(path)[1].lower()


def image_type(path: str) -> str | None:
    return IMAGE_TYPES.get(suffix(path))


@contextlib.contextmanager
def blob_file(backend: UiBackend, digest: str) -> Iterator[str]:
    """A local file holding the blob: the store's own file, or a temporary download."""
    local = backend.local_blob_path(digest)
    if local is not None:
        yield local
        return
    handle, temp_path = tempfile.mkstemp(prefix="archivist-ui-")
    os.close(handle)
    try:
        backend.download_blob(digest, temp_path)
        yield temp_path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp_path)


def read_head(backend: UiBackend, entry: Entry, limit: int) -> bytes:
    with blob_file(backend, entry.digest) as path, open(path, "rb") as handle:
        return handle.read(limit)


def build_preview(backend: UiBackend, entry: Entry) -> Preview:
    if entry.is_reference:
        return Preview("reference", text=entry.ref or "")
    if entry.size == 0:
        return Preview("empty")
    if image_type(entry.path):
        return Preview("image")
    if backend.local_blob_path(entry.digest) is None and entry.size > MAX_REMOTE_PREVIEW:
        return Preview("too_large")
    kind = suffix(entry.path)
    if kind in JSON_SUFFIXES and entry.size <= JSON_PREVIEW_BYTES:
        parsed = _json_preview(read_head(backend, entry, JSON_PREVIEW_BYTES))
        if parsed is not None:
            return parsed
    head = read_head(backend, entry, max(TEXT_PREVIEW_BYTES, CSV_PREVIEW_BYTES))
    if b"\x00" in head[:8192]:
        return Preview("binary")
    if kind in CSV_DELIMITERS:
        return _csv_preview(head[:CSV_PREVIEW_BYTES], CSV_DELIMITERS[kind], entry.size)
    text = head[:TEXT_PREVIEW_BYTES].decode("utf-8", errors="replace")
    return Preview("text", text=text, truncated=entry.size > TEXT_PREVIEW_BYTES)


def _json_preview(data: bytes) -> Preview | None:
    try:
        return Preview("json", data=json.loads(data))
    except (ValueError, UnicodeDecodeError):
        return None  # shown as text instead


def _csv_preview(data: bytes, delimiter: str, size: int) -> Preview:
    text = data.decode("utf-8", errors="replace")
    cut = len(data) < size
    if cut:  # drop the partial last line
        text = text[: text.rfind("\n") + 1] if "\n" in text else ""
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > CSV_PREVIEW_ROWS + 1:  # the header row plus one too many
                break
    except csv.Error:
        return Preview("text", text=text[:TEXT_PREVIEW_BYTES], truncated=True)
    truncated = cut or len(rows) > CSV_PREVIEW_ROWS + 1
    return Preview("csv", rows=rows[: CSV_PREVIEW_ROWS + 1], truncated=truncated)
