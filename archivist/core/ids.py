"""Object ids as they cross an edge: one canonical spelling each, checked once.

A version id is the decimal form of a positive 64-bit row id, without leading zeros
or signs, so ``"2"`` and ``"0002"`` can never name the same version at one layer and
different ones at another (an authorization check and the service must agree on what
an id means). A lineage node is a version id or a run path ``entity/project/run_id``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeGuard

from archivist.core.errors import ArtifactNotFoundError, InvalidInputError


@dataclass(frozen=True)
class Pattern:
    """The spelling a string parameter or field must have on the wire. ``enforced``: the
    server's schema refuses other spellings (an id checked once, at the edge); otherwise the
    pattern only documents the rule, which the service checks with its own messages."""

    regex: str
    enforced: bool = False
    check: Callable[[object], object] | None = None
    """Checks a value where the call is made (the HTTP client), raising what the embedded
    store raises for it, so both backends refuse it alike."""


VERSION_ID_PATTERN = r"^[1-9][0-9]{0,17}$"
"""1 to 18 digits, no leading zero: every id fits in a signed 64-bit integer."""
_VERSION_ID = re.compile(VERSION_ID_PATTERN)
NODE_ID_PATTERN = r"^([1-9][0-9]{0,17}|[^/]{1,128}/[^/]{1,128}/[^/]{1,128})$"
"""A lineage node: a version id, or a run path ``entity/project/run_id``."""


def is_version_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _VERSION_ID.fullmatch(value) is not None


def parse_version_id(value: object) -> int:
    """The row id ``value`` spells; ``ArtifactNotFoundError`` (a ``LookupError``, as W&B
    raises for an unknown id) naming the value when it is not a canonical version id."""
    if not is_version_id(value):
        raise ArtifactNotFoundError(
            f"artifact version {value!r} not found; version ids are decimal numbers "
            "of 1 to 18 digits without leading zeros"
        )
    return int(value)


def split_run_path(node_id: str) -> tuple[str, str, str] | None:
    """``(entity, project, run_id)`` when ``node_id`` is a run path, None when it is not one.
    The parts are not validated here (the names module does that)."""
    if "/" not in node_id:
        return None
    parts = node_id.split("/")
    if len(parts) != 3 or not all(parts):
        raise InvalidInputError(f"invalid lineage node {node_id!r}: a run is named 'entity/project/run_id'")
    return parts[0], parts[1], parts[2]


def check_node_id(value: object) -> object:
    """A lineage node: a run path, else a version id (``parse_version_id`` says what is wrong)."""
    if isinstance(value, str) and split_run_path(value) is not None:
        return value
    return parse_version_id(value)


VersionId = Annotated[str, Pattern(VERSION_ID_PATTERN, enforced=True, check=parse_version_id)]
NodeId = Annotated[str, Pattern(NODE_ID_PATTERN, enforced=True, check=check_node_id)]
Name = Annotated[str, Pattern(r"^[A-Za-z0-9_.\-]{1,128}$")]
"""An entity or artifact (collection) name."""
ProjectName = Annotated[str, Pattern(r"^[^/\\#?%:\r\n]{1,128}$")]
RunId = Annotated[str, Pattern(r"^[A-Za-z0-9_\-]{1,128}$")]
Digest = Annotated[str, Pattern(r"^[0-9a-f]{64}$")]
