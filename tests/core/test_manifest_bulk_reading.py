"""Reading large v2 manifests: chunks of plain lines (path, digest, size) are checked in bulk,
anything else line by line; either way every entry is checked and errors name their line,
also past the first chunk."""

from __future__ import annotations

import json

import pytest

from archivist.core.errors import IntegrityError, InvalidInputError
from archivist.core.manifest import Entry, Manifest, hash_bytes
from archivist.core.manifest_entry import entry_from_json
from archivist.core.manifest_format import HEADER_LINE, encode_entry, whole_lines

COUNT = 20_000


def _entries(count: int = COUNT) -> list[Entry]:
    return [Entry(f"d{i % 100:03}/f{i:06}.bin", hash_bytes(b"%d" % i), i % 9000) for i in range(count)]


def _manifest_bytes(lines: list[str]) -> bytes:
    return HEADER_LINE + "".join(lines).encode()


def _lines(entries: list[Entry]) -> list[str]:
    return [encode_entry(entry) for entry in sorted(entries, key=lambda e: e.path)]


def test_plain_and_other_lines_read_as_the_line_by_line_decoder_reads_them() -> None:
    entries = _entries()
    entries[5000] = Entry(entries[5000].path, "an-etag", 7, ref="s3://b/k", extra={"etag": "x"})
    entries[15000] = Entry(entries[15000].path, entries[15000].digest, 3, birth_artifact_id="abc")
    lines = _lines(entries)
    read = list(Manifest.from_bytes(_manifest_bytes(lines)))
    one_by_one = [entry_from_json(value["path"], value) for value in map(json.loads, lines)]
    assert read == one_by_one
    assert sum(1 for entry in read if entry.ref is not None) == 1


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"path": "../escape"}, InvalidInputError, "has an empty, '.' or '..' segment"),
        ({"path": "/abs"}, InvalidInputError, "is absolute"),
        ({"digest": "A" * 64}, IntegrityError, "malformed digest"),
        ({"size": -1}, IntegrityError, "invalid size"),
        ({"size": True}, IntegrityError, "invalid size"),
        ({"size": 1.5}, IntegrityError, "invalid size"),
    ],
)
def test_a_bad_line_deep_in_a_large_manifest_is_named(
    change: dict[str, object], error: type[Exception], message: str
) -> None:
    lines = _lines(_entries())
    bad = 12_345  # past the first chunk of about 1 MB
    value = json.loads(lines[bad])
    value.update(change)
    lines[bad] = json.dumps(value, separators=(",", ":")) + "\n"
    with pytest.raises(error, match=f"manifest line {bad + 2}: .*{message}"):
        Manifest.from_bytes(_manifest_bytes(lines))


def test_order_is_checked_across_chunks_and_within_them() -> None:
    lines = _lines(_entries())
    data = _manifest_bytes(lines)
    chunks = list(whole_lines([data]))
    assert len(chunks) > 2
    first_of_second = chunks[0].count(b"\n") - 1  # entry index of the second chunk's first line
    for index in (first_of_second, 17_000):
        swapped = list(lines)
        before, after = json.loads(lines[index - 1]), json.loads(lines[index])
        before["path"], after["path"] = after["path"], before["path"]  # paths of equal length
        swapped[index - 1], swapped[index] = (
            encode_entry(entry_from_json(before["path"], before)),
            encode_entry(entry_from_json(after["path"], after)),
        )
        assert [len(line) for line in swapped] == [len(line) for line in lines]  # same chunks
        with pytest.raises(IntegrityError, match=f"manifest line {index + 2}: path .* is out of order"):
            Manifest.from_bytes(_manifest_bytes(swapped))
    repeated = list(lines)
    repeated[9_000] = repeated[8_999]
    with pytest.raises(IntegrityError, match="manifest line 9002: path .* is out of order"):
        Manifest.from_bytes(_manifest_bytes(repeated))
