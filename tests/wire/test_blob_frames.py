"""The framed blob stream: parsed the same whatever the chunking; malformed streams refused."""

from __future__ import annotations

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import hash_bytes
from archivist.wire.blob_frames import HEADER, MAX_BLOB_SIZE, FrameParser, encode_header

BLOBS = [b"", b"x", bytes(range(256)) * 300, b"last"]


class Collect:
    def __init__(self) -> None:
        self.done: list[tuple[str, bytes]] = []

    def begin(self, digest: str, size: int) -> Collect.Sink:
        return Collect.Sink(self, digest, size)

    class Sink:
        def __init__(self, owner: Collect, digest: str, size: int) -> None:
            self.owner, self.digest, self.size, self.data = owner, digest, size, bytearray()

        def write(self, data: memoryview) -> None:
            self.data += data

        def close(self) -> None:
            assert len(self.data) == self.size
            self.owner.done.append((self.digest, bytes(self.data)))


def _stream() -> bytes:
    return b"".join(encode_header(hash_bytes(blob), len(blob)) + blob for blob in BLOBS)


@pytest.mark.parametrize("chunk", [1, 7, HEADER.size, 4096, 10**9])
def test_any_chunking_gives_the_same_blobs(chunk: int) -> None:
    collected = Collect()
    parser = FrameParser(collected.begin)
    stream = _stream()
    for start in range(0, len(stream), chunk):
        parser.feed(stream[start : start + chunk])
    parser.finish()
    assert collected.done == [(hash_bytes(blob), blob) for blob in BLOBS] and parser.frames == len(BLOBS)


def test_a_stream_cut_short_is_refused() -> None:
    for cut in (10, HEADER.size + 1, len(_stream()) - 1):
        parser = FrameParser(Collect().begin)
        parser.feed(_stream()[:cut])
        with pytest.raises(InvalidInputError, match="ended"):
            parser.finish()


def test_malformed_headers_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="not 64 lowercase hex"):
        FrameParser(Collect().begin).feed(b"Z" * 64 + (1).to_bytes(8, "big"))
    with pytest.raises(InvalidInputError, match="exceeds"):
        FrameParser(Collect().begin).feed(encode_header("a" * 64, MAX_BLOB_SIZE + 1))
