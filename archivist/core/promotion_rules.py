"""Promotion rules: the check a protected alias may carry before a version may hold it.

A rule is a conjunction of comparisons over the version's ``metadata`` and the
``summary`` of the run that logged it::

    summary.accuracy >= 0.92 and metadata.framework == "torch"

Grammar (parsed here by hand; nothing is evaluated as Python)::

    rule       := comparison ("and" comparison)*
    comparison := path operator literal
    path       := ("metadata" | "summary") ("." key)+      key: letters, digits, '_', '-'
    operator   := "==" | "!=" | ">=" | "<=" | ">" | "<"
    literal    := number | "string" | 'string' | true | false | null

``==``/``!=`` compare any values (a bool is not a number); ``> >= < <=`` compare two numbers
or two strings. A comparison whose path is missing fails, and says so.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from archivist.core.errors import InvalidInputError

MAX_RULE_LENGTH = 2000
ROOTS = ("metadata", "summary")
OPERATORS = ("==", "!=", ">=", "<=", ">", "<")
_ALLOWED = (
    "a rule is comparisons joined by 'and', each 'metadata.<key>' or 'summary.<key>' (dotted for "
    "nested keys), an operator (== != > >= < <=) and a literal (a number, a quoted string, true, "
    "false or null)"
)
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<operator>==|!=|>=|<=|>|<)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<path>[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*)
    """,
    re.VERBOSE,
)
_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None}
_MISSING = object()


@dataclass(frozen=True)
class Comparison:
    root: str
    """``metadata`` or ``summary``."""
    keys: tuple[str, ...]
    operator: str
    value: Any
    """A JSON scalar: str, int, float, bool or None."""

    @property
    def path(self) -> str:
        return ".".join((self.root, *self.keys))

    def __str__(self) -> str:
        return f"{self.path} {self.operator} {json.dumps(self.value)}"

    def failure(self, actual: Any) -> str | None:
        """Why ``actual`` (the value at the path; a sentinel when absent) fails, or None."""
        if actual is _MISSING:
            return f"{self} failed: {self.path} is missing"
        shown = json.dumps(actual, default=str)
        if self.operator in ("==", "!="):
            if _same(actual, self.value) == (self.operator == "=="):
                return None
            return f"{self} failed: {self.path} is {shown}"
        if _kind(actual) != _kind(self.value) or _kind(actual) not in ("number", "string"):
            return (
                f"{self} failed: {self.path} is {shown} ({_kind(actual)}), which cannot be compared "
                f"with {_kind(self.value)} {json.dumps(self.value)}"
            )
        holds = {
            ">": actual > self.value,
            ">=": actual >= self.value,
            "<": actual < self.value,
            "<=": actual <= self.value,
        }[self.operator]
        return None if holds else f"{self} failed: {self.path} is {shown}"


@dataclass(frozen=True)
class Rule:
    text: str
    comparisons: tuple[Comparison, ...]

    def failures(self, metadata: Mapping[str, Any], summary: Mapping[str, Any] | None) -> list[str]:
        """One message per comparison the values fail (empty: the rule holds). ``summary`` is
        None when no run logged the version."""
        found: list[str] = []
        for comparison in self.comparisons:
            source = metadata if comparison.root == "metadata" else summary
            if source is None:
                found.append(f"{comparison} failed: no run logged the version, so it has no summary")
                continue
            problem = comparison.failure(_lookup(source, comparison.keys))
            if problem is not None:
                found.append(problem)
        return found


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def _same(left: Any, right: Any) -> bool:
    return _kind(left) == _kind(right) and left == right


def _lookup(source: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = source
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING
        value = value[key]
    return value


def parse_rule(text: object) -> Rule:
    """The rule ``text`` states; ``InvalidInputError`` naming the position and what is allowed."""
    if not isinstance(text, str):
        raise InvalidInputError(f"a promotion rule must be a string, got {type(text).__name__}: {text!r}")
    if len(text) > MAX_RULE_LENGTH:
        raise InvalidInputError(f"promotion rule is {len(text)} characters long; at most {MAX_RULE_LENGTH}")
    tokens = _tokens(text)
    if not tokens:
        raise InvalidInputError(f"promotion rule {text!r} is empty: {_ALLOWED}")
    comparisons: list[Comparison] = []
    at = 0
    while True:
        comparisons.append(_comparison(text, tokens, at))
        at += 3
        if at == len(tokens):
            return Rule(text.strip(), tuple(comparisons))
        kind, word, position = tokens[at]
        if kind != "path" or word != "and":
            _refuse(text, position, f"expected 'and' after a comparison, found {word!r}")
        at += 1
        if at == len(tokens):
            _refuse(text, len(text), "expected a comparison after 'and', found the end of the rule")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            _refuse(text, position, f"unexpected character {text[position]!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            found.append((kind, match.group(), position))
        position = match.end()
    return found


def _comparison(text: str, tokens: list[tuple[str, str, int]], at: int) -> Comparison:
    kind, word, position = _token(text, tokens, at, "a path such as 'summary.accuracy'")
    if kind != "path" or word in _WORDS or word == "and":
        _refuse(text, position, f"expected a path such as 'summary.accuracy', found {word!r}")
    root, *keys = word.split(".")
    if root not in ROOTS or not keys:
        _refuse(text, position, f"path {word!r} must start with 'metadata.' or 'summary.' and name a key")
    op_kind, operator, op_at = _token(text, tokens, at + 1, f"an operator (== != > >= < <=) after {word!r}")
    if op_kind != "operator":
        _refuse(text, op_at, f"expected an operator (== != > >= < <=) after {word!r}, found {operator!r}")
    value_kind, literal, value_at = _token(text, tokens, at + 2, f"a value after {word} {operator}")
    return Comparison(root, tuple(keys), operator, _literal(text, value_kind, literal, value_at))


def _token(text: str, tokens: list[tuple[str, str, int]], at: int, expected: str) -> tuple[str, str, int]:
    if at >= len(tokens):
        _refuse(text, len(text), f"expected {expected}, found the end of the rule")
    return tokens[at]


def _literal(text: str, kind: str, literal: str, position: int) -> Any:
    if kind == "number":
        number = float(literal)
        if not math.isfinite(number):
            _refuse(text, position, f"number {literal!r} is out of range")
        is_integer = re.fullmatch(r"[-+]?\d+", literal) is not None
        return int(literal) if is_integer else number
    if kind == "string":
        return _unquote(text, literal, position)
    if kind == "path" and literal in _WORDS:
        return _WORDS[literal]
    _refuse(
        text,
        position,
        f"expected a value (a number, a quoted string, true, false or null), found {literal!r}",
    )


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}


def _unquote(text: str, literal: str, position: int) -> str:
    body, out, index = literal[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            escaped = body[index + 1]
            if escaped not in _ESCAPES:
                _refuse(
                    text, position + 1 + index, f"unknown escape '\\{escaped}' (use \\\\ \\\" \\' \\n \\t)"
                )
            out.append(_ESCAPES[escaped])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _refuse(text: str, position: int, problem: str) -> NoReturn:
    raise InvalidInputError(f"invalid promotion rule {text!r} at position {position}: {problem}; {_ALLOWED}")
