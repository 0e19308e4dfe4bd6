"""The rule that no path of a version is the folder of another, checked in sorted order
(a stored manifest) and as a draft grows, against the obvious quadratic answer."""

from __future__ import annotations

import random

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.path_nesting import FolderIndex, check_paths


def nested_pairs(paths: set[str]) -> set[tuple[str, str]]:
    """Every (file, path under it) pair, the slow and obvious way."""
    return {(a, b) for a in paths for b in paths if b.startswith(a + "/")}


@pytest.mark.parametrize(
    "paths",
    [
        ["a", "a/b"],
        ["a", "a!", "a-b/c", "a.txt", "a/b"],  # paths sorting between a file and its folder
        ["x/a", "x/a-1", "x/a.2/y", "x/a/b/c"],
        ["z", "a/b/c", "a/b"],  # any order
    ],
)
def test_a_file_that_is_also_a_folder_is_found(paths: list[str]) -> None:
    with pytest.raises(InvalidInputError, match="cannot be both a file and the folder of"):
        check_paths(paths)
    index = FolderIndex(set())
    with pytest.raises(InvalidInputError, match="cannot be both a file and the folder of"):
        index.check_batch(paths)


def test_neighbours_that_do_not_nest_pass() -> None:
    paths = ["a", "a!", "a-b/c", "a.txt", "a0/d", "ab/c", "b/a", "b/a.txt", "b/ab/c"]
    check_paths(paths)
    files: set[str] = set()
    index = FolderIndex(files)
    for path in paths:
        index.check(path)
        files.add(path)
        index.add(path)


def test_both_checks_agree_with_the_obvious_answer_on_random_trees() -> None:
    rng = random.Random(14)
    names = ["a", "a.txt", "a-1", "a!", "b", "ab", "a0"]
    for _ in range(400):
        paths = {"/".join(rng.choices(names, k=rng.randint(1, 3))) for _ in range(rng.randint(1, 12))}
        nested = bool(nested_pairs(paths))
        try:
            check_paths(paths)
            sorted_found = False
        except InvalidInputError:
            sorted_found = True
        files: set[str] = set()
        index = FolderIndex(files)
        grown_found = False
        for path in rng.sample(sorted(paths), len(paths)):
            try:
                index.check(path)
            except InvalidInputError:
                grown_found = True
                break
            files.add(path)
            index.add(path)
        assert sorted_found == grown_found == nested, sorted(paths)


def test_the_error_names_both_paths() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_paths(["models/best", "models/best/weights.bin"])
    assert "'models/best'" in str(caught.value) and "'models/best/weights.bin'" in str(caught.value)
    index = FolderIndex({"models/best/weights.bin"})
    with pytest.raises(InvalidInputError, match="'models/best' cannot be .* 'models/best/weights.bin'"):
        index.check("models/best")
