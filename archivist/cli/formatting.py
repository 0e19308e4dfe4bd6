"""How the commands describe a logged version in one line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archivist.core.sizes import format_size

if TYPE_CHECKING:
    from archivist.sdk.artifact import Artifact


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def content_summary(artifact: Artifact) -> str:
    """``'241 files, 183.0KiB'``."""
    return f"{plural(artifact.file_count, 'file')}, {format_size(artifact.size)}"
