"""The MongoDB-style filters of ``api.registries(filter=)``, ``Registry.collections(filter=)``
and ``.versions(filter=)`` (SPEC §7), checked into the tree ``archivist.core.run_filters``
builds; the metadata layer runs it as SQL (``archivist.metadata.registry_filter_sql``).

Operators: ``$eq $ne $gt $gte $lt $lte $in $nin $regex $exists $contains`` on a field,
``$not`` around them, ``$and $or $nor`` around documents. A list field (a collection's
tags, a version's aliases and tags) matches when some element does. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from archivist.core.errors import InvalidInputError
from archivist.core.run_filters import COMPARISONS, Combined, Condition, Field, Filter, Grammar, parse_filters

REGISTRY_COMPARISONS = (*COMPARISONS, "$contains", "$not")

REGISTRY_FIELDS = {"name": "name", "description": "description", "visibility": "visibility"}
COLLECTION_FIELDS = {
    "name": "name",
    "description": "description",
    "type": "type",
    "tag": "tags",
    "tags": "tags",
}
VERSION_FIELDS = {
    "alias": "aliases",
    "aliases": "aliases",
    "tag": "tags",
    "tags": "tags",
    "version": "version",
    "type": "type",
    "collection": "collection",
}
_DATES = {"created_at": "created_at", "createdAt": "created_at"}
METADATA = "metadata"


def _plain_field(subject: str, fields: Mapping[str, str]) -> Any:
    allowed = sorted({*fields, "created_at"} | ({f"{METADATA}.<key>"} if subject == "version" else set()))

    def parse(name: object) -> Field:
        if isinstance(name, str):
            if name in fields:
                return Field(fields[name])
            if name in _DATES:
                return Field(_DATES[name])
            head, _, rest = name.partition(".")
            if subject == "version" and head == METADATA and rest:
                keys = tuple(rest.split("."))
                if all(keys) and not any('"' in k or "\\" in k or "\x00" in k for k in keys):
                    return Field(METADATA, keys)
        raise InvalidInputError(
            f"cannot filter on {name!r} in a {subject} filter: the fields are {', '.join(allowed)}"
        )

    return parse


def _grammar(subject: str, fields: Mapping[str, str], example: str) -> Grammar:
    parse = _plain_field(subject, fields)
    return Grammar(subject, parse, REGISTRY_COMPARISONS, ("created_at",), example, number_fields=("version",))


REGISTRY_GRAMMAR = _grammar("registry", REGISTRY_FIELDS, "{'name': {'$regex': '^team-'}}")
COLLECTION_GRAMMAR = _grammar("collection", COLLECTION_FIELDS, "{'tag': 'prod', 'type': 'model'}")
VERSION_GRAMMAR = _grammar("version", VERSION_FIELDS, "{'alias': 'production'}")
_GRAMMARS = {"registry": REGISTRY_GRAMMAR, "collection": COLLECTION_GRAMMAR, "version": VERSION_GRAMMAR}


def parse_registry_filter(subject: str, filter: object) -> Filter | None:
    """The checked tree of a filter on registries, collections or versions (``subject``);
    None for no filter. ``version`` takes ``3`` or ``'v3'``."""
    tree = parse_filters(filter, _GRAMMARS[subject])
    return None if tree is None else _versions_as_numbers(tree)


def _versions_as_numbers(tree: Filter) -> Filter:
    if isinstance(tree, Combined):
        return replace(tree, parts=tuple(_versions_as_numbers(part) for part in tree.parts))
    if tree.field.column != "version" or tree.op in ("$exists", "$regex", "$contains"):
        return tree
    if isinstance(tree.value, tuple):
        return Condition(tree.field, tree.op, tuple(_version_number(v) for v in tree.value))
    return Condition(tree.field, tree.op, _version_number(tree.value))


def _version_number(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = value[1:] if isinstance(value, str) and value[:1] == "v" else value
    if isinstance(text, str) and text.isdigit() and text.isascii():
        return int(text)
    raise InvalidInputError(f"a version filter compares with 'vN' such as 'v3', got {value!r}")


def validate_page(per_page: object) -> int:
    """W&B's ``per_page``: how many records one page fetches (1..1000)."""
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= 1000:
        raise InvalidInputError(f"per_page must be a whole number from 1 to 1000, got {per_page!r}")
    return per_page
