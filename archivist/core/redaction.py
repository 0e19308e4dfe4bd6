"""Answers as one caller may see them: records of entities the caller cannot read are
left out of lists, and lineage nodes of such entities become placeholders.

Applied to every answer the server gives, whatever the call: a call that walks the
graph (lineage, producers, consumers, a run's inputs and outputs) cannot hand out the
run config, metadata or manifest digest of another team by forgetting to check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from archivist.core.models import LineageGraph, LineageNode, RunRecord, VersionRecord

CanRead = Callable[[str, str | None], bool]
"""``can_read(entity, project) -> bool`` (the project decides inside the organization's
entity, whose projects are registries)."""

HIDDEN_LABEL = "(no access)"


def redact(answer: Any, can_read: CanRead) -> Any:
    """``answer`` without what ``can_read`` refuses (see the module docstring)."""
    if isinstance(answer, LineageGraph):
        return dataclasses.replace(answer, nodes=tuple(_node(node, can_read) for node in answer.nodes))
    if isinstance(answer, list):
        return [item for item in answer if _readable(item, can_read)]
    if isinstance(answer, (RunRecord, VersionRecord)) and not _readable(answer, can_read):
        return None  # a producer in an entity the caller cannot read: "not shown"
    return answer


def _readable(item: Any, can_read: CanRead) -> bool:
    if isinstance(item, RunRecord):
        return can_read(item.ref.entity, item.ref.project)
    if isinstance(item, VersionRecord):
        return can_read(item.entity, item.project)
    return True


def _node(node: LineageNode, can_read: CanRead) -> LineageNode:
    record = node.run if node.run is not None else node.version
    if record is None or _readable(record, can_read):
        return node
    return LineageNode(kind=node.kind, id=node.id, label=HIDDEN_LABEL, hidden=True)
