import math
from collections.abc import Callable
from typing import Any

import pytest

from archivist.core.errors import InvalidInputError, ReservedTypeError
from archivist.core.names import (
    validate_alias,
    validate_aliases,
    validate_artifact_name,
    validate_entity,
    validate_metadata,
    validate_project,
    validate_run_id,
    validate_tag,
    validate_tags,
    validate_type,
)
from archivist.core.paths import parse_artifact_path


def test_artifact_names() -> None:
    assert validate_artifact_name("mnist-raw_v1.0") == "mnist-raw_v1.0"
    for bad in ["", "a/b", "a:b", "spa ce", "x" * 129, "ünï"]:
        with pytest.raises(InvalidInputError) as info:
            validate_artifact_name(bad)
        assert "artifact name" in str(info.value)


def test_a_non_ascii_letter_is_named_as_such() -> None:
    for check, value in ((validate_artifact_name, "daten-ä"), (validate_entity, "zoë")):
        with pytest.raises(InvalidInputError, match=r"only ASCII letters, digits"):
            check(value)
    with pytest.raises(InvalidInputError, match=r"invalid artifact path 'a/b/c/d'"):  # one wording
        parse_artifact_path("a/b/c/d")


def test_name_errors_name_the_value_and_rule() -> None:
    with pytest.raises(InvalidInputError, match=r"'a/b'.*letters, digits"):
        validate_artifact_name("a/b")


@pytest.mark.parametrize(
    ("type_name", "name"),
    [("job", "x"), ("wandb-history", "x"), ("run_table", "run-abc"), ("code", "source-x")],
)
def test_reserved_types(type_name: str, name: str) -> None:
    with pytest.raises(ReservedTypeError, match="reserved for internal use"):
        validate_type(type_name, name)


def test_types() -> None:
    assert validate_type("dataset") == "dataset"
    assert validate_type("run_table", "mytable") == "run_table"
    for bad in ["a/b", "a:b", "", "t" * 129]:
        with pytest.raises(InvalidInputError):
            validate_type(bad)


def test_aliases() -> None:
    assert validate_alias("best") == "best"
    assert validate_aliases(["a", "b", "a"]) == ("a", "b")
    assert validate_aliases("one") == ("one",)
    for bad in ["v3", "a/b", "a:b", "", " x"]:
        with pytest.raises(InvalidInputError):
            validate_alias(bad)


def test_tags() -> None:
    assert validate_tag("v2-pipeline") == "v2-pipeline"
    assert validate_tag("two words") == "two words"
    assert validate_tags(["x", "x", "y"]) == ("x", "y")
    for bad in ["trailing ", " lead", "semi;colon", ""]:
        with pytest.raises(InvalidInputError):
            validate_tag(bad)


def test_projects() -> None:
    assert validate_project("wandb-registry-Golden Datasets") == "wandb-registry-Golden Datasets"
    for bad in ["a/b", "a#b", "a?b", "a%b", "a:b", "", "x\n"]:
        with pytest.raises(InvalidInputError):
            validate_project(bad)


def test_metadata_is_made_json_friendly() -> None:
    import datetime as dt

    import numpy as np

    md = validate_metadata(
        {"a": np.float32(1.5), "b": np.arange(3), "c": math.nan, "d": (1, 2), "e": dt.date(2024, 1, 2)}
    )
    assert md == {"a": 1.5, "b": [0, 1, 2], "c": None, "d": [1, 2], "e": "2024-01-02"}


def test_metadata_limits() -> None:
    with pytest.raises(InvalidInputError, match="101 top-level keys"):
        validate_metadata({str(i): i for i in range(101)})
    with pytest.raises(InvalidInputError, match="must be a dict"):
        validate_metadata([1, 2])


def test_metadata_and_descriptions_have_size_limits() -> None:
    from archivist.core.errors import TooLargeError
    from archivist.core.names import MAX_DESCRIPTION_BYTES, validate_description, validate_metadata

    assert validate_metadata({"k": "v" * 1000}) == {"k": "v" * 1000}
    with pytest.raises(TooLargeError, match=r"metadata is 1048\d+ bytes as JSON; at most 1048576"):
        validate_metadata({"k": "v" * (1 << 20)})
    assert validate_description("é" * (MAX_DESCRIPTION_BYTES // 2)) is not None
    with pytest.raises(TooLargeError, match="description is 262146 bytes long"):
        validate_description("é" * (MAX_DESCRIPTION_BYTES // 2 + 1))
    with pytest.raises(ValueError):  # W&B scripts catch ValueError
        validate_description("x" * (MAX_DESCRIPTION_BYTES + 1))


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (validate_artifact_name, "model\n"),
        (validate_entity, "team\n"),
        (validate_tags, ["good\n"]),
        (validate_run_id, "abc123\n"),
    ],
)
def test_a_trailing_line_break_is_refused(check: Callable[[Any], object], value: object) -> None:
    """``$`` would match before a final newline; the rules end at the end of the string."""
    with pytest.raises(InvalidInputError, match=r"\\n"):
        check(value)


def test_a_version_selector_with_a_line_break_is_not_a_version() -> None:
    with pytest.raises(InvalidInputError, match="alias"):
        parse_artifact_path("model:v1\n")
