"""Manifest serialisation: version 2 (JSON Lines, written) and version 1 (one JSON document, read).

Version 2 is a header line, then one compact JSON object per entry, sorted by
path in code-point order, each path once::

    {"version":2,"storagePolicy":"archivist-storage-v1","digestAlgorithm":"blake3"}
    {"path":"a.txt","digest":"<hex>","size":5}
    {"path":"img/1.png","digest":"<etag>","size":3,"ref":"s3://b/1.png","extra":{"etag":"..."}}

Because the lines are sorted, a reader streams them in bounded memory, stops
after the range of a ``path_prefix``, merges two manifests for a diff and
hashes the artifact digest in one pass. ``path`` comes first on every line so
a reader can skip lines outside a prefix without decoding them. Every entry
that is decoded has its path validated (a download must never escape its
root), and the order is checked on every line looked at.

Version 1 (``{"version":1,...,"contents":{path: entry}}``, the W&B layout) is
still read; it cannot be streamed, so it is decoded whole.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring
from typing import Any

from archivist.core.errors import IntegrityError
from archivist.core.manifest_entry import Entry, entry_from_json

VERSION_1 = 1
VERSION_2 = 2
DIGEST_ALGORITHM = "blake3"
STORAGE_POLICY = "archivist-storage-v1"
HEADER_LINE = (
    json.dumps(
        {"version": VERSION_2, "storagePolicy": STORAGE_POLICY, "digestAlgorithm": DIGEST_ALGORITHM},
        separators=(",", ":"),
    )
    + "\n"
).encode()
LINES_PER_BLOCK = 4096
"""Entries encoded per yielded block: few write calls, bounded memory."""
CHUNK_BYTES = 1 << 20
"""Lines are decoded in chunks of about this size: small enough that a prefix near the
start of a huge manifest is listed after reading little of it."""

_PATH_START = '{"path":"'
_EXTRA_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DECODER = json.JSONDecoder()


# --- writing ---------------------------------------------------------------------------------------


def encode_entry(entry: Entry) -> str:
    """One v2 line (with its newline): ``path`` first, then digest, size and what is set."""
    line = (
        f'{{"path":{encode_basestring(entry.path)},"digest":{encode_basestring(entry.digest)},'
        f'"size":{int(entry.size)}'
    )
    if entry.ref is not None:
        line += f',"ref":{encode_basestring(entry.ref)}'
    if entry.extra:
        line += f',"extra":{_EXTRA_ENCODER.encode(dict(entry.extra))}'
    if entry.birth_artifact_id is not None:
        line += f',"birthArtifactID":{encode_basestring(entry.birth_artifact_id)}'
    return line + "}\n"


def encode_manifest(sorted_entries: Iterable[Entry]) -> Iterator[bytes]:
    """The v2 manifest in blocks of whole lines: the header, then the entries.

    ``sorted_entries`` must come sorted by path, each path once (``ValueError`` otherwise):
    the format promises it to every reader.
    """
    yield HEADER_LINE
    lines: list[str] = []
    previous: str | None = None
    for entry in sorted_entries:
        if previous is not None and entry.path <= previous:
            raise ValueError(
                f"entries must come sorted by path, each once: {entry.path!r} after {previous!r}"
            )
        previous = entry.path
        lines.append(encode_entry(entry))
        if len(lines) >= LINES_PER_BLOCK:
            yield "".join(lines).encode()
            lines.clear()
    if lines:
        yield "".join(lines).encode()


# --- reading: shared by the readers in ``manifest_reader`` ------------------------------------------


def open_manifest(blocks: Iterable[bytes]) -> tuple[Iterator[bytes], list[Entry] | None]:
    """Read the header: ``(chunks of whole v2 entry lines, None)`` for version 2, or
    ``(no chunks, entries sorted by path)`` for a version 1 document, decoded whole."""
    chunks = whole_lines(blocks)
    first = next(chunks, b"")
    if not first.strip():
        raise IntegrityError("manifest is empty")
    newline = first.find(b"\n")
    header_bytes = first[: newline + 1] if newline >= 0 else first
    header = _decode_header(header_bytes)
    if header is None or header.get("version") != VERSION_2:
        return iter(()), _v1_entries(first, header_bytes, header, chunks)
    _check_v2_header(header)
    return itertools.chain([first[len(header_bytes) :]], chunks), None


def whole_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """Re-cut ``blocks`` into chunks of about ``CHUNK_BYTES``, each ending after a newline
    (the last one gets a newline added when the data does not end with one).

    Blocks are joined only once a line ends in the newest one, so tiny blocks (lines)
    and one huge block (a whole manifest, or a v1 document on one line) both cost one
    copy of the data.
    """
    target = CHUNK_BYTES
    parts: list[bytes] = []
    held = 0
    for block in blocks:
        if not block:
            continue
        parts.append(block)
        held += len(block)
        if held < target or b"\n" not in block:
            continue
        data = b"".join(parts)  # the block itself when it is alone
        start = 0
        while len(data) - start >= target:
            cut = data.rfind(b"\n", start, start + target) + 1 or data.find(b"\n", start + target) + 1
            if not cut:
                break  # one line longer than the target: wait for its end
            yield data[start:cut]
            start = cut
        rest = data[start:]
        parts = [rest] if rest else []
        held = len(rest)
    data = b"".join(parts)
    if data:
        yield data if data.endswith(b"\n") else data + b"\n"


def _decode_header(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _check_v2_header(header: dict[str, Any]) -> None:
    algorithm = header.get("digestAlgorithm", DIGEST_ALGORITHM)
    if algorithm != DIGEST_ALGORITHM:
        raise IntegrityError(f"manifest digest algorithm {algorithm!r} is not supported (known: blake3)")
    if "contents" in header:
        raise IntegrityError(
            "manifest line 1: a version 2 manifest lists its entries one per line, not in 'contents'"
        )


def decode_text(chunk: bytes, lines_before: int) -> str:
    """A chunk of whole lines as text; ``IntegrityError`` names the first line that is not UTF-8."""
    try:
        return chunk.decode()
    except UnicodeDecodeError:
        pass
    for offset, raw in enumerate(chunk.split(b"\n")):
        try:
            raw.decode()
        except UnicodeDecodeError:
            raise IntegrityError(f"manifest line {lines_before + 1 + offset} is not valid UTF-8") from None
    raise IntegrityError("manifest is not valid UTF-8")


def decode_entry_at(text: str, index: int, line: int) -> tuple[Entry, int]:
    """The checked entry of the line starting at ``text[index]`` (line number ``line``) and
    where the next line starts."""
    try:
        value, stop = _DECODER.raw_decode(text, index)
    except json.JSONDecodeError as error:
        raise _bad_json(text, index, line, error) from None
    if text[stop] != "\n" or text.find("\n", index, stop) >= 0:
        raise _not_one_line(text, stop, line)
    return entry_from_json(value.get("path") if type(value) is dict else None, value, line), stop + 1


def _bad_json(text: str, index: int, line: int, error: json.JSONDecodeError) -> IntegrityError:
    if text[index] == "\n":
        return IntegrityError(f"manifest line {line} is empty")
    return IntegrityError(f"manifest line {line} is not valid JSON: {error.msg}")


def _not_one_line(text: str, stop: int, line: int) -> IntegrityError:
    if text[stop] == "\n":
        return IntegrityError(f"manifest line {line}: an entry must be on one line")
    return IntegrityError(f"manifest line {line} has extra characters after its JSON object")


def out_of_order(line: int, path: str, previous: str) -> IntegrityError:
    return IntegrityError(
        f"manifest line {line}: path {path!r} is out of order after {previous!r}; "
        "version 2 lines are sorted by path, each path once"
    )


def cheap_path(text: str, index: int) -> str | None:
    """The path of the line at ``index`` without decoding it, when it is written plainly
    (``{"path":"`` first, no escapes); None when only a full decode can tell."""
    if not text.startswith(_PATH_START, index):
        return None
    start = index + len(_PATH_START)
    quote = text.find('"', start)
    if quote < 0:
        return None
    path = text[start:quote]
    return None if "\\" in path or "\n" in path else path


def _v1_entries(
    first: bytes, first_line: bytes, header: dict[str, Any] | None, rest: Iterator[bytes]
) -> list[Entry]:
    """A v1 document is decoded whole (its first line is all of it when written compactly)."""
    if header is not None and header.get("version", VERSION_1) != VERSION_1:
        raise IntegrityError(
            f"manifest version {header['version']!r} is not supported (known: {VERSION_1}, {VERSION_2})"
        )
    remainder = first[len(first_line) :] + b"".join(rest)
    body = header if header is not None and not remainder.strip() else _decode_v1(first_line + remainder)
    entries = decode_v1_contents(body)
    entries.sort(key=lambda e: e.path)
    return entries


def _decode_v1(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise IntegrityError(f"manifest is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise IntegrityError("manifest has no 'version' field")
    return body


def decode_v1_contents(body: dict[str, Any]) -> list[Entry]:
    """The entries of a parsed v1 document, each checked (in the document's order)."""
    if "version" not in body:
        raise IntegrityError("manifest has no 'version' field")
    if body["version"] != VERSION_1:
        raise IntegrityError(
            f"manifest version {body['version']!r} is not supported (known: {VERSION_1}, {VERSION_2})"
        )
    algorithm = body.get("digestAlgorithm", DIGEST_ALGORITHM)
    if algorithm != DIGEST_ALGORITHM:
        raise IntegrityError(f"manifest digest algorithm {algorithm!r} is not supported")
    contents = body.get("contents")
    if not isinstance(contents, dict):
        raise IntegrityError("manifest has no 'contents' object")
    return [entry_from_json(path, data) for path, data in contents.items()]


def v1_document(sorted_entries: Iterable[Entry]) -> dict[str, Any]:
    """The entries as a v1 (W&B layout) JSON document, for ``ArtifactManifest.to_manifest_json``."""
    return {
        "version": VERSION_1,
        "storagePolicy": STORAGE_POLICY,
        "digestAlgorithm": DIGEST_ALGORITHM,
        "contents": {entry.path: entry.to_json() for entry in sorted_entries},
    }
