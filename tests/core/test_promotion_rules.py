"""The promotion-rule parser and its evaluation (``core.promotion_rules``): no eval, clear
errors with positions, failures naming the comparison and the actual value."""

from __future__ import annotations

from typing import Any

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.promotion_rules import MAX_RULE_LENGTH, Comparison, parse_rule


def test_a_conjunction_of_comparisons_is_parsed() -> None:
    rule = parse_rule(
        " summary.accuracy >= 0.92 and metadata.framework == \"torch\" and metadata.eval.split != 'test'"
        " and summary.epochs < 10 and summary.ok == true and metadata.note == null and summary.loss <= -1e-3"
    )
    assert rule.comparisons == (
        Comparison("summary", ("accuracy",), ">=", 0.92),
        Comparison("metadata", ("framework",), "==", "torch"),
        Comparison("metadata", ("eval", "split"), "!=", "test"),
        Comparison("summary", ("epochs",), "<", 10),
        Comparison("summary", ("ok",), "==", True),
        Comparison("metadata", ("note",), "==", None),
        Comparison("summary", ("loss",), "<=", -0.001),
    )
    assert isinstance(rule.comparisons[3].value, int)
    assert rule.text.startswith("summary.accuracy")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r"metadata.s == 'it\'s'", "it's"),
        (r'metadata.s == "say \"hi\""', 'say "hi"'),
        (r"metadata.s == 'a\\b'", "a\\b"),
        ("metadata.s == 'and'", "and"),
        ("metadata.s > ''", ""),
        ("metadata.my-key.x_1 == 1", 1),
    ],
)
def test_literals_and_keys(text: str, value: Any) -> None:
    assert parse_rule(text).comparisons[0].value == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("summary.accuracy", "at position 16: expected an operator"),
        ("summary.accuracy >=", "at position 19: expected a value after summary.accuracy >=, found the end"),
        ("summary.accuracy => 1", "at position 17: unexpected character '='"),
        ("summary.accuracy = 1", "at position 17: unexpected character '='"),
        ("summary.accuracy === 1", "at position 19: unexpected character '='"),
        ("summary.accuracy >> 1", "at position 18: expected a value"),
        ("accuracy > 1", "at position 0: path 'accuracy' must start with 'metadata.' or 'summary.'"),
        ("summary > 1", "path 'summary' must start with"),
        ("config.lr > 1", "path 'config.lr' must start with"),
        ("1 < summary.a", "at position 0: expected a path such as 'summary.accuracy', found '1'"),
        ("summary.a > 1 or summary.b > 2", "at position 14: expected 'and' after a comparison, found 'or'"),
        ("summary.a > 1 and", "at position 17: expected a comparison after 'and', found the end"),
        ("summary.a > 1 and and summary.b > 1", "at position 18: expected a path"),
        ("summary.a > 1 summary.b > 2", "at position 14: expected 'and'"),
        (
            "summary.a > x",
            "at position 12: expected a value (a number, a quoted string, true, false or null)",
        ),
        ("summary.a > True", "found 'True'"),
        ("summary.a > 'open", "at position 12: unexpected character"),
        (r"summary.a > '\q'", "unknown escape"),
        ("summary.a > 1e999", "number '1e999' is out of range"),
        ("__import__('os').system('x')", "unexpected character '('"),
        ("summary.a > 1; summary.b", "unexpected character ';'"),
        ("summary.a > [1]", "unexpected character '['"),
        ("not summary.a == 1", "path 'not' must start with"),
        ("summary..a > 1", "unexpected character '.'"),
    ],
)
def test_malformed_rules_name_the_position_and_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=r"promotion rule") as refused:
        parse_rule(text)
    assert message in str(refused.value)
    assert "operator (== != > >= < <=)" in str(refused.value)


@pytest.mark.parametrize("value", [None, 3, ["summary.a > 1"]])
def test_a_rule_is_a_string(value: object) -> None:
    with pytest.raises(InvalidInputError, match="must be a string"):
        parse_rule(value)


def test_a_rule_has_a_length_limit() -> None:
    with pytest.raises(InvalidInputError, match=f"at most {MAX_RULE_LENGTH}"):
        parse_rule("summary.a > 1 and " * 200 + "summary.a > 1")


METADATA = {"framework": "torch", "eval": {"split": "val"}, "n": 3, "flag": True, "none": None}
SUMMARY = {"accuracy": 0.9, "name": "run-a"}


@pytest.mark.parametrize(
    ("text", "failures"),
    [
        ("summary.accuracy >= 0.9 and metadata.framework == 'torch'", []),
        ("summary.accuracy > 0.92", ["summary.accuracy > 0.92 failed: summary.accuracy is 0.9"]),
        (
            "metadata.framework != 'torch'",
            ['metadata.framework != "torch" failed: metadata.framework is "torch"'],
        ),
        (
            "metadata.eval.split == 'test'",
            ['metadata.eval.split == "test" failed: metadata.eval.split is "val"'],
        ),
        ("metadata.owner == 'ml'", ['metadata.owner == "ml" failed: metadata.owner is missing']),
        (
            "metadata.eval.split.x == 1",
            ["metadata.eval.split.x == 1 failed: metadata.eval.split.x is missing"],
        ),
        ("metadata.none == null and metadata.none != 0", []),
        ("metadata.flag == 1", ["metadata.flag == 1 failed: metadata.flag is true"]),  # a bool is no number
        ("metadata.n == 3.0 and metadata.n >= 3", []),
        ("summary.name < 'run-b'", []),
        (
            "summary.name > 1",
            [
                'summary.name > 1 failed: summary.name is "run-a" (string), '
                "which cannot be compared with number 1"
            ],
        ),
        (
            "metadata.flag > false",
            [
                "metadata.flag > false failed: metadata.flag is true (bool), "
                "which cannot be compared with bool false"
            ],
        ),
        (
            "summary.accuracy > 0.95 and metadata.n < 2",
            [
                "summary.accuracy > 0.95 failed: summary.accuracy is 0.9",
                "metadata.n < 2 failed: metadata.n is 3",
            ],
        ),
    ],
)
def test_failures_name_the_comparison_and_the_actual_value(text: str, failures: list[str]) -> None:
    assert parse_rule(text).failures(METADATA, SUMMARY) == failures


def test_a_version_no_run_logged_has_no_summary() -> None:
    rule = parse_rule("metadata.n == 3 and summary.accuracy > 0")
    assert rule.failures(METADATA, None) == [
        "summary.accuracy > 0 failed: no run logged the version, so it has no summary"
    ]
