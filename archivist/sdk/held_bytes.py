"""Bytes of small files a draft already read to hash them, kept for the save.

Logging many small files is dominated by per-file work, so a file read once to
be hashed should not be opened, read and hashed a second time to be stored.
The draft keeps those bytes (up to a memory budget) keyed by digest; the save
hands them to the backend, which stores them without touching the file again.
Bytes over the budget are simply not kept: those files are read again at save
time and verified as they are stored, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

HELD_BYTES_LIMIT = 256 << 20
"""At most this many bytes are kept per draft."""

HELD_FILE_MAX_BYTES = 256 << 10
"""Only files up to this size are kept (the ones whose per-file cost dominates)."""


class HeldBytes:
    """Digest -> the exact bytes that hashed to it, within a byte budget."""

    def __init__(self, limit: int = HELD_BYTES_LIMIT) -> None:
        self._blobs: dict[str, bytes] = {}
        self._room = limit
        self._lock = threading.Lock()

    def offer_many(self, blobs: Iterable[tuple[str, bytes | None]]) -> list[tuple[str, bytes | None]]:
        """Keep each ``data`` (which hashed to ``digest``) that is small and fits the
        budget, taking the lock once for the whole batch; returns the blobs not kept."""
        refused: list[tuple[str, bytes | None]] = []
        with self._lock:
            for digest, data in blobs:
                if digest in self._blobs:
                    continue
                if data is None or len(data) > HELD_FILE_MAX_BYTES or len(data) > self._room:
                    refused.append((digest, data))
                    continue
                self._blobs[digest] = data
                self._room -= len(data)
        return refused

    def take(self) -> dict[str, bytes]:
        """Everything kept, handed over once (the draft forgets it)."""
        with self._lock:
            blobs, self._blobs, self._room = self._blobs, {}, 0
        return blobs

    def __len__(self) -> int:
        return len(self._blobs)
