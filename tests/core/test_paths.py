import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.paths import (
    MAX_LOGICAL_PATH_LENGTH,
    ArtifactPath,
    join_logical,
    parse_artifact_path,
    parse_project_path,
    validate_logical_path,
    walked_logical_paths,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("data", ArtifactPath("data")),
        ("data:latest", ArtifactPath("data", alias="latest")),
        ("proj/data:v3", ArtifactPath("data", project="proj", version=3)),
        ("ent/proj/data:best", ArtifactPath("data", entity="ent", project="proj", alias="best")),
    ],
)
def test_parse_artifact_path(text: str, expected: ArtifactPath) -> None:
    assert parse_artifact_path(text) == expected


def test_selector_defaults_to_latest() -> None:
    assert parse_artifact_path("p/x").selector == "latest"
    assert parse_artifact_path("p/x:v12").selector == "v12"
    assert str(parse_artifact_path("e/p/x:best")) == "e/p/x:best"


def test_with_defaults_fills_missing_parts_only() -> None:
    path = parse_artifact_path("p/x").with_defaults("ent", "other")
    assert (path.entity, path.project, path.name) == ("ent", "p", "x")


@pytest.mark.parametrize("bad", ["", "a/b/c/d", "a//b", "name:", "bad name", "x:a/b", "/x", 5])
def test_parse_artifact_path_refuses(bad: object) -> None:
    with pytest.raises(InvalidInputError):
        parse_artifact_path(bad)


def test_parse_project_path() -> None:
    assert parse_project_path("p") == (None, "p")
    assert parse_project_path("e/p") == ("e", "p")
    with pytest.raises(InvalidInputError):
        parse_project_path("e/p/x")


@pytest.mark.parametrize("good", ["a", "a/b.txt", "dir/sub/file", "with space/x", "..hidden", "a..b"])
def test_logical_paths_accepted(good: str) -> None:
    assert validate_logical_path(good) == good


@pytest.mark.parametrize(
    "bad", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a/", "C:/x", "c:evil", "a\x00b"]
)
def test_logical_paths_that_escape_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        validate_logical_path(bad)
    assert repr(bad)[1:-1][:5] in str(info.value) or bad == ""


def test_join_logical() -> None:
    assert join_logical(None, "a/b") == "a/b"
    assert join_logical("pre/", "a") == "pre/a"


def test_walked_paths_get_the_prefix_and_keep_their_order() -> None:
    assert walked_logical_paths(None, ["b/x.txt", "a.txt"]) == ["b/x.txt", "a.txt"]
    assert walked_logical_paths("data/raw", ["b/x.txt", "a.txt"]) == ["data/raw/b/x.txt", "data/raw/a.txt"]
    assert walked_logical_paths("p", []) == []


def test_a_walked_path_too_long_is_refused_by_name() -> None:
    long_name = "d/" + "x" * MAX_LOGICAL_PATH_LENGTH
    with pytest.raises(InvalidInputError, match="is too long"):
        walked_logical_paths("p", ["ok.txt", long_name])
