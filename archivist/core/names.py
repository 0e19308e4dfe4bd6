"""Validation of every name a user can type: entities, projects, artifact names,
types, aliases, tags, run ids and metadata. Each check raises
``InvalidInputError`` naming the value and the rule."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from archivist.core.errors import InvalidInputError, ReservedTypeError, TooLargeError
from archivist.core.json_values import dumps, json_friendly

MAX_NAME_LENGTH = 128
MAX_METADATA_KEYS = 100
MAX_METADATA_BYTES = 1 << 20
"""Metadata as compact JSON: it is read with every listing of versions."""
MAX_DESCRIPTION_BYTES = 256 * 1024

_ARTIFACT_NAME = re.compile(r"^[A-Za-z0-9_\-.]+\Z")
_ENTITY_NAME = re.compile(r"^[A-Za-z0-9_\-.]+\Z")
_PROJECT_FORBIDDEN = re.compile(r"[/\\#?%:\r\n\x00]")
_TAG = re.compile(r"^[-\w]+( +[-\w]+)*\Z")
_VERSION_ALIAS = re.compile(r"^v\d+\Z")
_RUN_ID = re.compile(r"^[A-Za-z0-9_\-]+\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

INTERNAL_TYPES = ("run_table", "code", "job")


def _check_length(kind: str, value: str) -> None:
    if not value:
        raise InvalidInputError(f"{kind} must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidInputError(
            f"{kind} {value[:40]!r}... is {len(value)} characters long; at most {MAX_NAME_LENGTH} are allowed"
        )


def _check_str(kind: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"{kind} must be a string, got {type(value).__name__}: {value!r}")
    return value


def validate_artifact_name(name: object) -> str:
    name = _check_str("artifact name", name)
    _check_length("artifact name", name)
    if not _ARTIFACT_NAME.match(name):
        raise InvalidInputError(
            f"invalid artifact name {name!r}: only ASCII letters, digits, '-', '_' and '.' are allowed"
        )
    return name


def validate_entity(entity: object) -> str:
    entity = _check_str("entity", entity)
    _check_length("entity", entity)
    if not _ENTITY_NAME.match(entity):
        raise InvalidInputError(
            f"invalid entity {entity!r}: only ASCII letters, digits, '-', '_' and '.' are allowed"
        )
    return entity


def validate_project(project: object) -> str:
    project = _check_str("project", project)
    _check_length("project", project)
    bad = _PROJECT_FORBIDDEN.search(project)
    if bad or project.strip() != project:
        raise InvalidInputError(
            f"invalid project {project!r}: it must not contain / \\ # ? % : or line breaks, "
            "nor start or end with a space"
        )
    return project


def validate_type(type_name: object, artifact_name: str | None = None, *, internal: bool = False) -> str:
    """Check an artifact type; reserved types are refused unless ``internal``."""
    type_name = _check_str("artifact type", type_name)
    _check_length("artifact type", type_name)
    if "/" in type_name or ":" in type_name or _CONTROL.search(type_name):
        raise InvalidInputError(
            f"invalid artifact type {type_name!r}: it must not contain '/', ':' or control characters"
        )
    if internal:
        return type_name
    name = artifact_name or ""
    reserved = (
        type_name == "job"
        or type_name.startswith("wandb-")
        or (type_name == "run_table" and name.startswith("run-"))
        or (type_name == "code" and name.startswith("source-"))
    )
    if reserved:
        raise ReservedTypeError(f"Artifact type {type_name!r} is reserved for internal use")
    return type_name


def validate_alias(alias: object) -> str:
    alias = _check_str("alias", alias)
    _check_length("alias", alias)
    if "/" in alias or ":" in alias or _CONTROL.search(alias) or alias.strip() != alias:
        raise InvalidInputError(
            f"invalid alias {alias!r}: it must not contain '/', ':', control characters "
            "or leading/trailing spaces"
        )
    if _VERSION_ALIAS.match(alias):
        raise InvalidInputError(
            f"invalid alias {alias!r}: version aliases like 'v3' are assigned automatically"
        )
    return alias


def _validate_many(
    values: Iterable[str] | str | None, validate_one: Callable[[object], str]
) -> tuple[str, ...]:
    """Validate each of a list of values (or a single string); duplicates are dropped keeping the first."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    return _dedupe(validate_one(v) for v in values)


def validate_aliases(aliases: Iterable[str] | str | None) -> tuple[str, ...]:
    return _validate_many(aliases, validate_alias)


def validate_tag(tag: object) -> str:
    tag = _check_str("tag", tag)
    _check_length("tag", tag)
    if not _TAG.match(tag):
        raise InvalidInputError(
            f"invalid tag {tag!r}: use letters, digits, '_' and '-', in words separated by spaces"
        )
    return tag


def validate_tags(tags: Iterable[str] | str | None) -> tuple[str, ...]:
    return _validate_many(tags, validate_tag)


def validate_run_tags(tags: Iterable[str] | str | None) -> tuple[str, ...]:
    """A run's tags: as in W&B, any non-empty strings (of at most ``MAX_NAME_LENGTH``
    characters), e.g. 'lr=0.01' or 'v1.2'; duplicates are dropped keeping the first.
    (An artifact's tags follow ``validate_tag``, W&B's rule for those.)"""
    if tags is None:
        return ()
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, Iterable):
        raise InvalidInputError(f"run tags must be a list of strings, got {tags!r}")
    checked: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag or len(tag) > MAX_NAME_LENGTH:
            raise InvalidInputError(
                f"invalid run tag {tag!r}: use a non-empty string of at most {MAX_NAME_LENGTH} characters"
            )
        checked.append(tag)
    return _dedupe(checked)


def validate_run_id(run_id: object) -> str:
    run_id = _check_str("run id", run_id)
    _check_length("run id", run_id)
    if not _RUN_ID.match(run_id):
        raise InvalidInputError(
            f"invalid run id {run_id!r}: only ASCII letters, digits, '-' and '_' are allowed"
        )
    return run_id


def is_version_alias(alias: str) -> bool:
    return bool(_VERSION_ALIAS.match(alias))


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(value, None)
    return tuple(seen)


def validate_metadata(metadata: object) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidInputError(f"metadata must be a dict, got {type(metadata).__name__}")
    if len(metadata) > MAX_METADATA_KEYS:
        raise InvalidInputError(
            f"metadata has {len(metadata)} top-level keys; at most {MAX_METADATA_KEYS} are allowed"
        )
    friendly: dict[str, Any] = json_friendly(metadata, "metadata")
    size = len(dumps(friendly, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise TooLargeError(
            f"metadata is {size} bytes as JSON; at most {MAX_METADATA_BYTES} are allowed "
            "(store large values in a file of the artifact instead)"
        )
    return friendly


def validate_description(value: object, what: str = "description") -> str | None:
    """None or a string of at most ``MAX_DESCRIPTION_BYTES`` (UTF-8)."""
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string or None, got {type(value).__name__}: {value!r}")
    if value is not None and len(value) * 4 > MAX_DESCRIPTION_BYTES:
        size = len(value.encode("utf-8", errors="surrogatepass"))
        if size > MAX_DESCRIPTION_BYTES:
            raise TooLargeError(
                f"{what} is {size} bytes long; at most {MAX_DESCRIPTION_BYTES} are allowed "
                "(put long documentation in a file of the artifact)"
            )
    return value
