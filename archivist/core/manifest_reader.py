"""Streaming readers of serialised manifests (format in ``manifest_format``).

``iter_manifest_entries`` decodes entries, only those under a path prefix when
one is given, and stops after that prefix's range. ``iter_manifest_lines``
gives each line's path and text without decoding it: a diff compares texts
and decodes only the lines that differ. Both check the path order of every
line they look at; every entry they decode is fully checked (its path can
never escape a root).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from archivist.core.bulk_checks import all_blob_digests, all_plain_logical_paths
from archivist.core.manifest_entry import Entry, entry_from_json
from archivist.core.manifest_format import (
    cheap_path,
    decode_entry_at,
    decode_text,
    open_manifest,
    out_of_order,
)

RawLine = tuple[str, str | None, int, Entry | None]
"""``(path, text, line number, entry)``: a v2 line's text (no newline), entry None until
decoded; or, for entries already in memory (v1 documents, loaded manifests), no text."""


def iter_manifest_entries(blocks: Iterable[bytes], path_prefix: str | None = None) -> Iterator[Entry]:
    """The entries of a manifest (v1 or v2) in path order, decoding only what is needed.

    ``blocks`` are the manifest's bytes in pieces of any size (lines, file reads, or
    the whole manifest). With ``path_prefix`` (a plain string prefix, as for
    ``download(path_prefix=)``) only entries whose path starts with it are decoded;
    reading stops after them. ``IntegrityError`` names the line of anything malformed.
    """
    chunks, v1 = open_manifest(blocks)
    if v1 is not None:
        yield from (e for e in v1 if path_prefix is None or e.path.startswith(path_prefix))
        return
    reader = _EntryReader(path_prefix)
    for chunk in chunks:
        more = reader.feed(chunk)
        yield from reader.take()
        if not more:
            return


def iter_manifest_lines(blocks: Iterable[bytes]) -> Iterator[RawLine]:
    """Every line of a manifest as a ``RawLine``, in path order, decoding a line only when
    its path cannot be read from its first bytes."""
    chunks, v1 = open_manifest(blocks)
    if v1 is not None:
        yield from lines_of_entries(v1)
        return
    line, previous = 1, ""
    for chunk in chunks:
        text = decode_text(chunk, line)
        index, end = 0, len(text)
        while index < end:
            line += 1
            path = cheap_path(text, index)
            if path is None:
                entry, stop = decode_entry_at(text, index, line)
                path, raw = entry.path, entry
            else:
                stop, raw = text.index("\n", index) + 1, None
            if path <= previous:
                raise out_of_order(line, path, previous)
            previous = path
            yield path, text[index : stop - 1], line, raw
            index = stop


def lines_of_entries(entries: Iterable[Entry]) -> Iterator[RawLine]:
    """Entries already decoded (sorted by path, each once: ``ValueError`` otherwise) as lines."""
    previous: str | None = None
    for entry in entries:
        if previous is not None and entry.path <= previous:
            raise ValueError(f"entries are not sorted by path: {entry.path!r} comes after {previous!r}")
        previous = entry.path
        yield entry.path, None, 0, entry


def decode_lines_at_once(text: str) -> list[Any] | None:
    """The JSON value of each line of ``text`` (whole lines), decoded in one call: much
    cheaper per line than decoding lines one by one. None when any line is not exactly
    one JSON value (empty, malformed, or several values): the line-by-line decoder then
    names the line."""
    if not text.endswith("\n"):
        return None
    lines = text[:-1].split("\n")
    if "" in lines:
        return None
    try:
        values = json.loads("[" + ",".join(lines) + "]")
    except ValueError:
        return None
    return values if len(values) == len(lines) else None


def entry_of(line: RawLine) -> Entry:
    """The line's entry, decoding (and checking) it now if it was not yet."""
    _path, text, number, entry = line
    if entry is not None:
        return entry
    assert text is not None
    return decode_entry_at(text + "\n", 0, number)[0]


def plain_entries(values: list[Any]) -> list[Entry] | None:
    """The entries of decoded lines when every one is a plain stored file (exactly a
    valid path, blob digest and size), checked in bulk; None when any line needs the
    per-entry checks (a reference, extra fields, or anything that may be malformed)."""
    if not values or not all(type(value) is dict and len(value) == 3 for value in values):
        return None
    try:
        paths = [value["path"] for value in values]
        digests = [value["digest"] for value in values]
        sizes = [value["size"] for value in values]
    except KeyError:
        return None
    if (
        set(map(type, sizes)) == {int}
        and min(sizes) >= 0
        and all_plain_logical_paths(paths)
        and all_blob_digests(digests)
    ):
        return list(map(Entry, paths, digests, sizes))
    return None


def _strictly_after(previous: str, entries: list[Entry]) -> bool:
    """Whether the entries' paths come after ``previous`` and each after the one before."""
    paths = [entry.path for entry in entries]
    return previous < paths[0] and all(a < b for a, b in itertools.pairwise(paths))


class _EntryReader:
    """Decodes chunks of whole v2 lines; ``feed`` returns False once past the prefix range.

    The loop is the hot path of reading a million entries, hence its local names.
    """

    def __init__(self, path_prefix: str | None) -> None:
        self.prefix = path_prefix or None
        self.line = 1  # the header
        self.previous = ""  # every path sorts after it
        self.ready: list[Entry] = []

    def take(self) -> list[Entry]:
        ready, self.ready = self.ready, []
        return ready

    def feed(self, chunk: bytes) -> bool:
        text = decode_text(chunk, self.line)
        prefix = self.prefix
        if prefix is not None and text and self._skip_chunk(text, prefix):
            return True
        if prefix is None:
            values = decode_lines_at_once(text)
            if values is not None:
                self._take_values(values)
                return True
        ready, line, previous = self.ready, self.line, self.previous
        index, end = 0, len(text)
        try:
            while index < end:
                line += 1
                if prefix is not None:
                    path = cheap_path(text, index)
                    if path is not None and not path.startswith(prefix):
                        if path <= previous:
                            raise out_of_order(line, path, previous)
                        previous = path
                        if path > prefix:
                            return False  # sorted: nothing further can match
                        index = text.index("\n", index) + 1
                        continue
                entry, index = decode_entry_at(text, index, line)
                path = entry.path
                if path <= previous:
                    raise out_of_order(line, path, previous)
                previous = path
                if prefix is None or path.startswith(prefix):
                    ready.append(entry)
                elif path > prefix:
                    return False
        finally:
            self.line, self.previous = line, previous
        return True

    def _take_values(self, values: list[Any]) -> None:
        """Check decoded lines (every path, and their order) and keep their entries."""
        plain = plain_entries(values)
        if plain is not None and _strictly_after(self.previous, plain):
            self.ready.extend(plain)
            self.line += len(plain)
            self.previous = plain[-1].path
            return
        ready, line, previous = self.ready, self.line, self.previous
        try:
            for value in values:
                line += 1
                entry = entry_from_json(value.get("path") if type(value) is dict else None, value, line)
                path = entry.path
                if path <= previous:
                    raise out_of_order(line, path, previous)
                previous = path
                ready.append(entry)
        finally:
            self.line, self.previous = line, previous

    def _skip_chunk(self, text: str, prefix: str) -> bool:
        """Whether every line of the chunk sorts before ``prefix`` (judged by its last line)."""
        last = cheap_path(text, text.rfind("\n", 0, len(text) - 1) + 1)
        if last is None or last >= prefix or last <= self.previous:
            return False
        self.line += text.count("\n")
        self.previous = last
        return True
