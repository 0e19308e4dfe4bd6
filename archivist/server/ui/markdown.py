"""Descriptions rendered as Markdown, safely: raw HTML is shown as text, and links
(and images) may only point to http, https or mailto addresses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})


class SafeMarkdown(MarkdownIt):
    """CommonMark plus tables and strikethrough, with raw HTML disabled; links get
    ``rel="nofollow noopener noreferrer"``."""

    def __init__(self) -> None:
        super().__init__("commonmark", {"html": False, "linkify": False, "typographer": False})
        self.enable(["table", "strikethrough"])
        self.add_render_rule("link_open", _render_link_open)

    def validateLink(self, url: str) -> bool:
        return urlsplit(url.strip()).scheme.lower() in ALLOWED_SCHEMES

    def render_markup(self, text: str | None) -> Markup:
        """HTML for ``text``: markdown-it escapes everything that is not Markdown syntax."""
        return Markup(self.render(text)) if text else Markup("")


def _render_link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    """markdown-it binds render rules to its renderer, hence the first argument."""
    tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
    return str(renderer.renderToken(tokens, idx, options, env))
