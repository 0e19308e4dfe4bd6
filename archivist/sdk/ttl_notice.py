"""The notice that a TTL was not applied: a team can let only its admins set TTLs, and the
store then silently keeps the version's TTL as it was (SPEC §6, as W&B); the SDK tells the
user by comparing the version it got back with what it asked for."""

from __future__ import annotations

from archivist.core.lifecycle import TTL_DISABLED, TTL_INHERIT
from archivist.core.models import VersionRecord
from archivist.sdk.termlog import termwarn


def policy_of(record: VersionRecord) -> int:
    """The TTL policy a version holds, in its wire form (``core.lifecycle``)."""
    if record.ttl_inherited:
        return TTL_INHERIT
    return TTL_DISABLED if record.ttl_seconds is None else record.ttl_seconds


def warn_if_ttl_ignored(asked: int, before: int, record: VersionRecord) -> None:
    """One line when a TTL change was asked (``asked`` differs from ``before``, the policy
    the version had) and the version came back with ``before`` still."""
    if asked == before or policy_of(record) != before:
        return
    termwarn(
        f"the TTL of {record.qualified_collection}:{record.version} was not applied: "
        f"only admins of team {record.entity!r} may set TTLs"
    )
