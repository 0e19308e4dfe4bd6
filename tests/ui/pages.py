"""Reading the UI's HTML in tests: the JSON a page embeds for its scripts, form tokens."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def embedded_json(html: str, element_id: str) -> Any:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert match, f"no embedded JSON #{element_id} in the page"
    return json.loads(match.group(1))


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "the page has no CSRF token field"
    return match.group(1)


def get_ok(client: httpx.Client, url: str, **params: Any) -> str:
    response = client.get(url, params=params or None)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:500]}"
    return response.text
