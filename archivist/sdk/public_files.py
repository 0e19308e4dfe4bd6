"""Files as W&B's public API shows them (``wandb.apis.public.File``): a run's saved files
(``Api().run(path).files()``) and an artifact's (``artifact.files()``, where each is also
a manifest entry: ``artifact_files.ArtifactFile``).

``download(root=".", replace=False, exist_ok=False)`` writes ``root/<name>`` and returns it
opened for reading, as W&B does; a file already there is an error unless ``replace``
(fetch it again) or ``exist_ok`` (keep it) is given.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from typing import IO

from archivist.core.errors import InvalidInputError

EXISTS_HINT = "pass replace=True to overwrite it or exist_ok=True to keep it"


def guess_mimetype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def download_to(
    name: str, root: str, replace: bool, exist_ok: bool, fetch: Callable[[str], object]
) -> IO[str]:
    """``root/name``, fetched by ``fetch(path)`` unless it exists and may be kept; opened."""
    path = os.path.join(root, name)
    if os.path.lexists(path) and not replace:
        if not exist_ok:
            raise InvalidInputError(f"file {path!r} already exists: {EXISTS_HINT}")
        return open(path)
    fetch(path)
    return open(path)


class File:
    """A file stored with a run (``run.save``): ``name``, ``size``, ``digest`` (BLAKE3),
    ``url`` (the web UI's download), ``mimetype``; ``download()`` as W&B's."""

    def __init__(
        self, name: str, size: int, digest: str, url: str, fetch: Callable[[str, str], None]
    ) -> None:
        self.name = name
        self.size = size
        self.digest = digest
        self.url = url
        self._fetch = fetch

    direct_url = property(lambda self: self.url)
    """W&B's signed storage URL; here the UI's download (``url``)."""

    path = property(lambda self: self.name)
    """The name, as the run file records used to call it."""

    md5 = property(lambda self: None)
    """W&B's base64 MD5: Archivist stores BLAKE3 digests instead (``digest``)."""

    @property
    def mimetype(self) -> str:
        return guess_mimetype(self.name)

    def download(self, root: str = ".", replace: bool = False, exist_ok: bool = False) -> IO[str]:
        return download_to(self.name, root, replace, exist_ok, lambda path: self._fetch(self.digest, path))

    def __repr__(self) -> str:
        return f"<File {self.name} ({self.mimetype} {self.size} bytes)>"
