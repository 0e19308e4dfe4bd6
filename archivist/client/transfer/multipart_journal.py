"""Remembers open multipart uploads on disk, so that a process killed midway
resumes them instead of sending every part again.

The HTTP backend keeps one journal (e.g. under the cache dir): it asks
``resume_token(digest)`` when building an ``UploadRequest``, ``upload`` calls
``remember`` before the first part goes out, and the backend calls ``forget``
once the server has completed the upload. A token the server no longer knows
(aborted, cleaned up) is harmless: the plan then starts a fresh upload.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile

from archivist.core.manifest import is_blob_digest
from archivist.core.transfers import ResumeToken, validate_upload_id


class UploadJournal:
    """One small JSON file per digest in ``directory``."""

    def __init__(self, directory: str) -> None:
        self.directory = os.path.abspath(directory)
        os.makedirs(self.directory, exist_ok=True)

    def _path(self, digest: str) -> str | None:
        return os.path.join(self.directory, f"{digest}.json") if is_blob_digest(digest) else None

    def remember(self, digest: str, token: ResumeToken) -> None:
        path = self._path(digest)
        if path is None:
            return
        record = {"upload_id": token.upload_id, "multipart_id": token.multipart_id}
        fd, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(record, out)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    def resume_token(self, digest: str) -> ResumeToken | None:
        """The upload to resume for ``digest``, if one was left open (unreadable entries are dropped)."""
        path = self._path(digest)
        if path is None:
            return None
        try:
            with open(path) as source:
                record = json.load(source)
            multipart_id = record["multipart_id"]
            if not isinstance(multipart_id, str):
                raise ValueError(multipart_id)
            return ResumeToken(validate_upload_id(record["upload_id"]), multipart_id)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            self.forget(digest)
            return None

    def forget(self, digest: str) -> None:
        path = self._path(digest)
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
