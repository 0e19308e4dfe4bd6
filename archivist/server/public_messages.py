"""Error messages as a server sends them: without the places where it keeps its data.

The stores name their folders in errors, which is right for the embedded store (the
folders are the user's own) but not for a server: a client must not learn where the
server keeps its blobs, its database or its temporary files. Every message a server
sends -- API errors, the blob listener's answers, the UI's error pages -- goes through a
``PathScrubber``, which puts words in place of those paths and of the store's repr:
``blob ab12... is not in the store at /srv/archivist/blobs`` becomes ``blob ab12... is not
in the server's blob store``, and a file inside the store is named by its path there
(``packs/index.sqlite in the server's blob store``), which tells nothing about the server.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from archivist.storage.base import BlobStore

STORE_WORDS = "the server's blob store"
DATABASE_WORDS = "the server's database"
TEMP_WORDS = "a temporary file of the server"
SERVER_TEMP_PREFIX = "archivist-"
"""The server's own temporary files (uploads, UI downloads) are named ``archivist-*``."""

_PATH_CHARS = r"[^\s'\"]*[^\s'\".,;:)\]]"
"""The rest of a path: up to a space or a quote, not ending in a closing stop."""
_BELOW = f"(?:/{_PATH_CHARS})?"
_DATABASE_FILES = "(?:-wal|-shm|-journal)?"
_TEMP_FILE = f"/{SERVER_TEMP_PREFIX}{_PATH_CHARS}"
_NOT_LONGER = r"(?![\w\-/]|\.\w)"
"""The path ends here (``/srv/blobs`` must not match ``/srv/blobs2``); a full stop may follow."""
_STORE_LEAD = r"(?:(?:the )?store at |store )?"
"""Words before a store's location that its replacement already says."""


@dataclass(frozen=True)
class Place:
    """Text that names where a server keeps something, and what a message says instead."""

    text: str
    words: str
    rest: str = ""
    """A pattern of what may follow ``text`` and belongs to the place (a path below it)."""
    lead: str = ""
    """A pattern of words before ``text`` that ``words`` already says."""
    inside: bool = False
    """Name a path below ``text`` by its part below it (``packs/index.sqlite in ...``)."""

    def rule(self) -> tuple[re.Pattern[str], Callable[[re.Match[str]], str]]:
        pattern = re.compile(f"{self.lead}(['\"]?){re.escape(self.text)}({self.rest}){_NOT_LONGER}\\1")

        def replace(match: re.Match[str]) -> str:
            below = match.group(2).lstrip("/")
            return f"{below} in {self.words}" if below and self.inside else self.words

        return pattern, replace


class PathScrubber:
    """Replaces each place (and what belongs to it) with its words; longer places first,
    so that a store inside the database's folder is still named as the store."""

    def __init__(self, places: Iterable[Place]) -> None:
        kept = sorted((p for p in places if p.text not in ("", "/")), key=lambda p: -len(p.text))
        self._rules = [place.rule() for place in kept]

    @classmethod
    def for_server(cls, store: BlobStore, db_url: str) -> PathScrubber:
        """The places of a server over ``store`` and the database at ``db_url``."""
        named = dict.fromkeys([repr(store), str(store)])
        places = [Place(text, STORE_WORDS, lead=_STORE_LEAD) for text in named]
        places += [
            Place(text, STORE_WORDS, _BELOW, _STORE_LEAD, inside=True) for text in _store_folders(store)
        ]
        places += [Place(text, DATABASE_WORDS, _DATABASE_FILES) for text in _sqlite_paths(db_url)]
        places += [Place(text, TEMP_WORDS, _TEMP_FILE) for text in _spellings(tempfile.gettempdir())]
        return cls(places)

    def __call__(self, message: str) -> str:
        for pattern, replace in self._rules:
            message = pattern.sub(replace, message)
        return message


def _store_folders(store: BlobStore) -> list[str]:
    """Where a store keeps its blobs: a folder store's folders, an object store's URL."""
    places = []
    root, temp = getattr(store, "root", None), getattr(store, "temp_dir", None)
    if isinstance(root, str):
        places += _spellings(root)
    if isinstance(temp, str) and not (isinstance(root, str) and _is_below(temp, root)):
        places += _spellings(temp)
    url = getattr(store, "url", None)
    if isinstance(url, str):
        places.append(url.rstrip("/"))
    return places


def _is_below(path: str, folder: str) -> bool:
    return os.path.abspath(path).startswith(os.path.abspath(folder).rstrip("/") + "/")


def _sqlite_paths(db_url: str) -> list[str]:
    if not db_url.lower().startswith("sqlite:"):
        return []
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(db_url).database
    except ArgumentError:
        return []
    if not database or database == ":memory:":
        return []
    return _spellings(database)


def _spellings(path: str) -> list[str]:
    """A path as given, made absolute, and with its links resolved (messages may hold any)."""
    absolute = os.path.abspath(path)
    return list(dict.fromkeys(p.rstrip("/") or "/" for p in (absolute, os.path.realpath(absolute))))
