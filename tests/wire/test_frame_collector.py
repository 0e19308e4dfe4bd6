"""FrameCollector, the one writer of framed streams (the client's uploads, the server's
downloads): what it writes parses back to the same blobs, small frames are coalesced
into chunks of about the chunk size, and large pieces go out uncopied."""

from __future__ import annotations

from collections.abc import Iterator

from archivist.core.manifest import hash_bytes
from archivist.wire.blob_frames import HEADER, FrameCollector, FrameParser

CHUNK = 1024


class _Collected:
    def __init__(self, into: dict[str, bytes], digest: str) -> None:
        self.into, self.digest, self.parts = into, digest, bytearray()

    def write(self, data: memoryview) -> None:
        self.parts += data

    def close(self) -> None:
        self.into[self.digest] = bytes(self.parts)


def _stream(blobs: list[bytes], pieces_of: int) -> list[bytes]:
    collector = FrameCollector(CHUNK)
    chunks: list[bytes] = []
    for data in blobs:
        pieces = [data[i : i + pieces_of] for i in range(0, len(data), pieces_of)]
        chunks += collector.add(hash_bytes(data), len(data), pieces)
    chunks += collector.flush()
    return chunks


def _parsed(chunks: list[bytes]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    parser = FrameParser(lambda digest, _size: _Collected(found, digest))
    for chunk in chunks:
        parser.feed(chunk)
    parser.finish()
    return found


def test_the_stream_parses_back_to_the_same_blobs() -> None:
    blobs = [b"", b"x", b"small" * 30, bytes(range(256)) * 20, b"y" * 3000]
    for pieces_of in (7, 100, 5000):
        assert _parsed(_stream(blobs, pieces_of)) == {hash_bytes(data): data for data in blobs}


def test_small_frames_are_coalesced_into_chunks_of_about_the_chunk_size() -> None:
    blobs = [b"%04d" % i for i in range(1000)]  # 76 bytes a frame
    chunks = _stream(blobs, 100)
    assert sum(len(chunk) for chunk in chunks) == len(blobs) * (HEADER.size + 4)
    assert len(chunks) == 72  # 14 frames of 76 bytes make the first chunk of 1024 or more
    assert all(CHUNK <= len(chunk) < CHUNK + HEADER.size + 4 for chunk in chunks[:-1])


def test_a_large_piece_goes_out_as_it_is() -> None:
    large = b"L" * CHUNK
    collector = FrameCollector(CHUNK)
    out: Iterator[bytes] = collector.add(hash_bytes(large), len(large), [large])
    header, piece = list(out)
    assert len(header) == HEADER.size
    assert piece is large
    assert list(collector.flush()) == []


def test_flush_hands_over_what_is_held_once() -> None:
    collector = FrameCollector(CHUNK)
    assert list(collector.add(hash_bytes(b"a"), 1, [b"a"])) == []
    assert [len(chunk) for chunk in collector.flush()] == [HEADER.size + 1]
    assert list(collector.flush()) == []
