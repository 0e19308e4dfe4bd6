"""A binary file object over one streaming GET, so that reading a blob of any
size holds only a chunk or two in memory."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

READ_CHUNK_BYTES = 1024 * 1024


class StreamReader(io.RawIOBase):
    """Reads the chunks of an obstore ``GetResult`` stream in order."""

    def __init__(self, chunks: Iterator[Any], size: int) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = memoryview(b"")
        self.size = size

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bool:
        for chunk in self._chunks:
            if len(chunk):
                self._pending = memoryview(chunk)
                return True
        return False

    def readinto(self, buffer: Any) -> int:
        if not self._pending and not self._next_chunk():
            return 0
        target = memoryview(buffer).cast("B")
        count = min(len(target), len(self._pending))
        target[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def readall(self) -> bytes:
        parts = [bytes(self._pending)]
        self._pending = memoryview(b"")
        parts.extend(bytes(chunk) for chunk in self._chunks)
        return b"".join(parts)

    def close(self) -> None:
        self._chunks = iter(())
        self._pending = memoryview(b"")
        super().close()


def open_stream(chunks: Iterator[Any], size: int) -> io.BufferedReader:
    """A buffered binary reader over ``chunks`` (a blob of ``size`` bytes)."""
    return io.BufferedReader(StreamReader(chunks, size), buffer_size=1024 * 1024)
