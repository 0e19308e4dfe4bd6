"""The framed byte stream that carries many blobs in one HTTP request or response.

A stream is a sequence of frames, each a fixed 72-byte header -- the blob's
digest as 64 ASCII hex characters and its size as an unsigned 64-bit big-endian
integer -- followed by exactly ``size`` bytes. Batching small blobs this way
costs one request per few megabytes instead of one per file, and large blobs
stream through in chunks without ever being held in memory.

``FrameParser`` reads such a stream incrementally: feed it the bytes as they
arrive, in chunks of any size; it calls ``begin(digest, size)`` at each frame
to get a sink, hands the sink the frame's bytes, and closes it at the frame's end.
``FrameCollector`` writes one: both ends send their frames through it (the client's
uploads, the server's downloads).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import is_blob_digest

HEADER = struct.Struct(">64sQ")
MAX_BLOB_SIZE = 5 * 1024**4
"""5 TiB, the largest object S3 stores; a header claiming more is refused."""
CHUNK_BYTES = 1 << 20
"""A framed stream is sent in chunks of about this size."""


class FrameSink(Protocol):
    def write(self, data: memoryview) -> None: ...

    def close(self) -> None:
        """All ``size`` bytes of the frame were written."""
        ...


def encode_header(digest: str, size: int) -> bytes:
    return HEADER.pack(digest.encode("ascii"), size)


def decode_header(header: bytes | bytearray | memoryview) -> tuple[str, int]:
    raw_digest, size = HEADER.unpack(header)
    try:
        digest = raw_digest.decode("ascii")
    except UnicodeDecodeError:
        digest = ""
    if not is_blob_digest(digest):
        raise InvalidInputError(
            f"malformed blob frame: digest {bytes(raw_digest)[:64]!r} is not 64 lowercase hex characters"
        )
    if size > MAX_BLOB_SIZE:
        raise InvalidInputError(f"malformed blob frame: size {size} of {digest} exceeds {MAX_BLOB_SIZE}")
    return digest, size


class FrameParser:
    """Incremental reader of a framed stream (see the module docstring)."""

    def __init__(self, begin: Callable[[str, int], FrameSink]) -> None:
        self._begin = begin
        self._header = bytearray()
        self._sink: FrameSink | None = None
        self._digest = ""
        self._remaining = 0
        self.frames = 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            if self._sink is None:
                view = self._read_header(view)
                continue
            take = min(len(view), self._remaining)
            if take:
                self._sink.write(view[:take])
                self._remaining -= take
                view = view[take:]
            if self._remaining == 0:
                self._end_frame()

    def finish(self) -> None:
        """The stream ended; ``InvalidInputError`` if it stopped inside a frame."""
        if self._sink is not None:
            raise InvalidInputError(
                f"blob stream ended {self._remaining} bytes before the end of blob {self._digest}"
            )
        if self._header:
            raise InvalidInputError(f"blob stream ended inside a frame header ({len(self._header)} bytes)")

    def _read_header(self, view: memoryview) -> memoryview:
        need = HEADER.size - len(self._header)
        self._header += view[:need]
        view = view[need:]
        if len(self._header) == HEADER.size:
            self._digest, self._remaining = decode_header(self._header)
            self._header.clear()
            self._sink = self._begin(self._digest, self._remaining)
            if self._remaining == 0:
                self._end_frame()
        return view

    def _end_frame(self) -> None:
        sink, self._sink = self._sink, None
        self.frames += 1
        assert sink is not None
        sink.close()


class FrameCollector:
    """Writes a framed stream in chunks of about ``chunk_bytes``: the headers and bytes of
    small blobs are coalesced (one step of a streamed body per chunk, not per file), and a
    piece of at least half a chunk goes out as it is, without being copied.

    For each frame ``yield from collector.add(digest, size, pieces)`` (``pieces`` must hold
    exactly ``size`` bytes), then ``yield from collector.flush()``.
    """

    def __init__(self, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.chunk_bytes = chunk_bytes
        self._pending = bytearray()

    def add(self, digest: str, size: int, pieces: Iterable[bytes]) -> Iterator[bytes]:
        """The chunks ready once this frame is added."""
        pending = self._pending
        pending += encode_header(digest, size)
        for piece in pieces:
            if len(piece) >= self.chunk_bytes // 2:
                if pending:
                    yield bytes(pending)
                    pending.clear()
                yield piece
                continue
            pending += piece
            if len(pending) >= self.chunk_bytes:
                yield bytes(pending)
                pending.clear()

    def flush(self) -> Iterator[bytes]:
        """What is still held, at the end of the stream."""
        if self._pending:
            yield bytes(self._pending)
            self._pending.clear()
