"""hash_file: the hex BLAKE3 and size of a file, on the one-read, mmap and
multi-threaded paths alike."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import blake3
import pytest

from archivist.client.transfer.hashing import CHUNKED_MIN_BYTES, MULTITHREAD_MIN_BYTES, hash_file
from archivist.core.errors import PathNotFoundError

SIZES = [
    0,
    1,
    CHUNKED_MIN_BYTES - 1,
    CHUNKED_MIN_BYTES,
    CHUNKED_MIN_BYTES + 1,
    MULTITHREAD_MIN_BYTES - 1,
    MULTITHREAD_MIN_BYTES + 12345,
]


@pytest.mark.parametrize("size", SIZES)
def test_hash_file_matches_blake3_of_the_content(tmp_path: Path, size: int) -> None:
    data = random.Random(size).randbytes(size)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    assert hash_file(str(path)) == (blake3.blake3(data).hexdigest(), size)


def test_known_digest_of_hello_world(tmp_path: Path) -> None:
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello world")
    digest, size = hash_file(str(path))
    assert digest == "d74981efa70a0c880b8d8c1985d075dbcbf679b99a5f9914e5aaf96b831a9e24"
    assert size == 11


def test_different_content_gives_a_different_digest(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_bytes(b"x" * (MULTITHREAD_MIN_BYTES + 1))
    second.write_bytes(b"x" * MULTITHREAD_MIN_BYTES + b"y")
    assert hash_file(str(first))[0] != hash_file(str(second))[0]


def test_a_missing_file_is_a_file_not_found_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(PathNotFoundError, match=r"absent\.bin") as info:
        hash_file(str(tmp_path / "absent.bin"))
    assert isinstance(info.value, FileNotFoundError)


def test_a_file_that_grows_after_it_was_opened_is_hashed_whole(tmp_path: Path) -> None:
    """A FIFO reports size 0 when opened, then delivers bytes: every byte must count."""
    data = random.Random(1).randbytes(3 * CHUNKED_MIN_BYTES + 5)
    fifo = tmp_path / "stream"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as writer:
            writer.write(data)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        assert hash_file(str(fifo)) == (blake3.blake3(data).hexdigest(), len(data))
    finally:
        feeder.join(10)
