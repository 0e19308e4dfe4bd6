"""Bulk checks of digests and logical paths: they vouch for a batch only when every item
passes the per-item check, so a False answer just sends the batch to the per-item checks."""

from __future__ import annotations

import pytest

from archivist.core.bulk_checks import all_blob_digests, all_plain_logical_paths
from archivist.core.errors import InvalidInputError
from archivist.core.manifest import hash_bytes, is_blob_digest
from archivist.core.paths import MAX_LOGICAL_PATH_LENGTH, validate_logical_path

GOOD_DIGESTS = [hash_bytes(b"%d" % i) for i in range(50)]
BAD_DIGESTS: list[object] = [
    GOOD_DIGESTS[0].upper(),
    GOOD_DIGESTS[0][:63],
    GOOD_DIGESTS[0] + "0",
    GOOD_DIGESTS[0][:63] + "g",
    GOOD_DIGESTS[0][:62] + "\n0",
    GOOD_DIGESTS[0][:63] + "é",
    "",
    None,
    b"0" * 64,
    64,
]
GOOD_PATHS = ["a.txt", "d000/f00001.bin", ".hidden/x..y/...", "a b/ü/c", "x\ny"]
BAD_PATHS: list[object] = [
    "",
    "/abs",
    "a//b",
    "./a",
    "a/./b",
    "a/..",
    "../x",
    "a/",
    "a\x00b",
    "C:/x",
    "x" * (MAX_LOGICAL_PATH_LENGTH + 1),
    None,
    3,
]


def test_good_digests_pass_in_bulk() -> None:
    assert all_blob_digests(GOOD_DIGESTS)
    assert all_blob_digests([])


@pytest.mark.parametrize("bad", BAD_DIGESTS)
def test_one_bad_digest_fails_the_batch(bad: object) -> None:
    assert not all_blob_digests([*GOOD_DIGESTS[:10], bad, *GOOD_DIGESTS[10:]])
    assert not all_blob_digests([bad])


def test_digests_the_bulk_check_accepts_are_exactly_the_blob_digests() -> None:
    for value in [*GOOD_DIGESTS, *BAD_DIGESTS]:
        assert all_blob_digests([value]) == (isinstance(value, str) and is_blob_digest(value)), value


def test_good_paths_pass_in_bulk() -> None:
    assert all_plain_logical_paths(GOOD_PATHS)
    assert all_plain_logical_paths(["x" * MAX_LOGICAL_PATH_LENGTH])
    assert all_plain_logical_paths([])


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_one_bad_path_fails_the_batch(bad: object) -> None:
    assert not all_plain_logical_paths([*GOOD_PATHS, bad])
    with pytest.raises(InvalidInputError):
        validate_logical_path(bad)


@pytest.mark.parametrize("path", ["dir/a:b", "dir\\file"])
def test_paths_with_colons_or_backslashes_go_to_the_per_item_check(path: str) -> None:
    """Stricter than the per-item check: these are valid on POSIX, but not vouched for in bulk."""
    assert not all_plain_logical_paths([path])
    assert validate_logical_path(path) == path


def test_a_path_cannot_hide_a_bad_segment_across_the_join() -> None:
    # The batch is joined with "/\n/": neighbours must not make or mask a bad segment.
    assert not all_plain_logical_paths(["a/", "/b"])
    assert not all_plain_logical_paths(["a/.", "./b"])
    assert all_plain_logical_paths(["a/\n", "\n/b"])
    for path in ["a/\n", "\n/b"]:
        assert validate_logical_path(path) == path
