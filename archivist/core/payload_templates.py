"""Webhook payload templates (SPEC §8): a JSON value whose strings may name variables.

``${event_type}``, ``${event_author}``, ``${entity_name}``, ``${project_name}``,
``${artifact_collection_name}``, ``${artifact_version}``, ``${artifact_version_string}``,
``${alias}``, ``${tag}``, ``${artifact_metadata.KEY}`` (a top-level metadata key), the run
variables ``${run_id}``, ``${run_name}``, ``${run_state}``, ``${run_user}``,
``${metric_name}``, ``${metric_value}``, and ``${ACCESS_TOKEN}`` and ``${NAME}`` / ``$NAME``
for the webhook's secrets.

Rendering is substitution only (no expressions are evaluated). A string that is exactly one
variable becomes that variable's JSON value (a metadata dict stays a dict, a number a
number); inside a longer string a value is inserted as text (JSON for non-strings). An
event that lacks a variable (``${tag}`` on a link) renders it as null / empty text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from archivist.core.automations import ACCESS_TOKEN, SECRET_NAME
from archivist.core.errors import InvalidInputError

VARIABLES = (
    "event_type",
    "event_author",
    "entity_name",
    "project_name",
    "artifact_collection_name",
    "artifact_version",
    "artifact_version_string",
    "alias",
    "tag",
    "run_id",
    "run_name",
    "run_state",
    "run_user",
    "metric_name",
    "metric_value",
)
METADATA_PREFIX = "artifact_metadata."
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*(?:\.[^}]+)?)\}|\$([A-Z_][A-Z0-9_]*)")


def references(template: Any) -> Iterator[str]:
    """Every variable name the template's strings name."""
    if isinstance(template, str):
        for match in _REFERENCE.finditer(template):
            yield match.group(1) or match.group(2)
    elif isinstance(template, Mapping):
        for key, value in template.items():
            yield from references(key)
            yield from references(value)
    elif isinstance(template, list):
        for item in template:
            yield from references(item)


def validate_template(template: Any, secret_names: tuple[str, ...] | None = None) -> Any:
    """``template`` when every variable it names is known (secrets: ``secret_names`` when
    given); else ``InvalidInputError`` naming the first unknown one."""
    try:
        json.dumps(template, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"a payload template is JSON (objects, lists, strings, numbers): {error}"
        ) from None
    for name in references(template):
        if name in VARIABLES or (name.startswith(METADATA_PREFIX) and len(name) > len(METADATA_PREFIX)):
            continue
        if SECRET_NAME.fullmatch(name) and (
            secret_names is None or name == ACCESS_TOKEN or name in secret_names
        ):
            continue
        known = ", ".join(f"${{{v}}}" for v in VARIABLES)
        raise InvalidInputError(
            f"unknown payload variable {name!r}: use {known}, ${{artifact_metadata.KEY}}, "
            f"${{ACCESS_TOKEN}} or a secret of the webhook ({list(secret_names or ())})"
        )
    return template


def render(template: Any, variables: Mapping[str, Any], secrets: Mapping[str, str]) -> Any:
    """The payload for an event with ``variables`` (see the module docstring)."""

    def value_of(name: str) -> Any:
        if name.startswith(METADATA_PREFIX):
            metadata = variables.get("artifact_metadata") or {}
            return metadata.get(name[len(METADATA_PREFIX) :]) if isinstance(metadata, Mapping) else None
        if name in secrets:
            return secrets[name]
        return variables.get(name)

    def text_of(match: re.Match[str]) -> str:
        value = value_of(match.group(1) or match.group(2))
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True)

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            whole = _REFERENCE.fullmatch(node)
            if whole:
                return value_of(whole.group(1) or whole.group(2))
            return _REFERENCE.sub(text_of, node)
        if isinstance(node, Mapping):
            return {walk(key) if isinstance(key, str) else key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    rendered = walk(template)
    if isinstance(rendered, Mapping):  # a key that rendered to a non-string is made text
        rendered = {
            key if isinstance(key, str) else json.dumps(key): value for key, value in rendered.items()
        }
    return rendered
