"""Checks of many digests or logical paths at once.

A download of 20,000 files checks 20,000 digests and paths; one regex or a handful of
string tests per item costs more there than the kernel's work on the files. These
checks join the items and test the joined text with a few C-speed string operations.
They answer only "all certainly valid": False means "check them one by one" (with
``is_blob_digest`` / ``validate_logical_path``, which name the bad item), never that
one is known to be bad, so they may be stricter than the per-item checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from archivist.core.paths import MAX_LOGICAL_PATH_LENGTH

_HEX = b"0123456789abcdef"
_DIGEST_LENGTH = 64


def all_blob_digests(values: Sequence[object]) -> bool:
    """Whether every value is a blob digest (64 lowercase hex characters)."""
    strings = cast("Sequence[str]", values)  # unchecked: "".join raises TypeError for a non-str
    try:
        joined = "".join(strings).encode("ascii")
    except (TypeError, UnicodeEncodeError):
        return False
    return set(map(len, strings)) <= {_DIGEST_LENGTH} and not joined.translate(None, _HEX)


def all_plain_logical_paths(paths: Sequence[object]) -> bool:
    """Whether every path is a valid logical path (relative, POSIX, no empty, '.' or '..'
    segment, no NUL) that holds no ':' or '\\\\' either, so it names the same place on
    every operating system."""
    if not paths:
        return True
    try:
        framed = "/" + "/\n/".join(paths) + "/"  # type: ignore[arg-type]
    except TypeError:
        return False
    return (
        "//" not in framed
        and "/./" not in framed
        and "/../" not in framed
        and "\x00" not in framed
        and ":" not in framed
        and "\\" not in framed
        and max(map(len, paths), default=0) <= MAX_LOGICAL_PATH_LENGTH  # type: ignore[arg-type]
    )
