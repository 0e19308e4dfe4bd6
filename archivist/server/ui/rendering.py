"""The Jinja2 environment of the UI: autoescaping everywhere, strict undefined
names, and the filters the templates use to show sizes, times and JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from archivist.core.registries import registry_of_project
from archivist.core.sizes import format_size
from archivist.server.ui import urls
from archivist.server.ui.markdown import SafeMarkdown

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

_DURATION_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def format_time(timestamp: str | None) -> str:
    """``2024-05-01T10:03:04.123+00:00`` -> ``2024-05-01 10:03:04 UTC``."""
    if not timestamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_duration(seconds: int | None) -> str:
    """``90061`` -> ``1 day 1 hour``; None -> ``none``."""
    if seconds is None:
        return "none"
    parts = []
    remaining = int(seconds)
    for unit, length in _DURATION_UNITS:
        count, remaining = divmod(remaining, length)
        if count:
            parts.append(f"{count} {unit}" + ("s" if count != 1 else ""))
        if len(parts) == 2:
            break
    return " ".join(parts) or "0 seconds"


def expiry_time(created_at: str, ttl_seconds: int | None) -> str:
    if ttl_seconds is None:
        return ""
    try:
        created = dt.datetime.fromisoformat(created_at)
    except ValueError:
        return ""
    return format_time((created + dt.timedelta(seconds=ttl_seconds)).isoformat())


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def json_kind(value: Any) -> str:
    """The CSS class of a JSON value in the collapsible tree."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return "string"


def json_scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    markdown = SafeMarkdown()
    env.filters.update(
        size=format_size,
        time=format_time,
        duration=format_duration,
        url=urls.url_part,
        pretty_json=pretty_json,
        json_kind=json_kind,
        json_scalar=json_scalar,
        markdown=markdown.render_markup,
    )
    env.globals.update(expiry_time=expiry_time, urls=urls, registry_of=registry_of_project)
    env.globals["m"] = env.get_template("macros.html").module
    return env
