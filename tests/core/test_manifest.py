import json

import pytest

from archivist.core.errors import IntegrityError, InvalidInputError
from archivist.core.manifest import (
    NO_EXTRA,
    Entry,
    Manifest,
    artifact_digest,
    hash_bytes,
    iter_manifest_entries,
    summarise_manifest,
)
from archivist.core.manifest_format import HEADER_LINE, encode_entry

HELLO = hash_bytes(b"hello world")


def test_artifact_digest_follows_the_recipe() -> None:
    import blake3

    expected = blake3.blake3(f"wandb-artifact-manifest-v1\na.txt:{HELLO}\nb.txt:{HELLO}\n".encode())
    entries = [Entry("b.txt", HELLO, 11), Entry("a.txt", HELLO, 11)]
    assert artifact_digest(entries) == expected.hexdigest()
    assert artifact_digest([]) == blake3.blake3(b"wandb-artifact-manifest-v1\n").hexdigest()


def test_artifact_digest_of_many_entries_matches_the_recipe_line_by_line() -> None:
    import blake3

    entries = [Entry(f"d/{i:05d}", hash_bytes(str(i).encode()), i) for i in range(10_000)]
    hasher = blake3.blake3(b"wandb-artifact-manifest-v1\n")
    for entry in entries:
        hasher.update(f"{entry.path}:{entry.digest}\n".encode())
    assert artifact_digest(reversed(entries)) == hasher.hexdigest() == Manifest(entries).digest()


def test_digest_ignores_sizes_refs_and_order() -> None:
    a = Manifest([Entry("x", HELLO, 1), Entry("y", HELLO, 2)])
    b = Manifest([Entry("y", HELLO, 99), Entry("x", HELLO, 5)])
    assert a.digest() == b.digest()
    assert a.digest() != Manifest([Entry("x", HELLO, 1)]).digest()


def test_digest_follows_changes_to_the_manifest() -> None:
    manifest = Manifest([Entry("x", HELLO, 1)])
    before = manifest.digest()
    manifest.put(Entry("w", HELLO, 1))
    assert manifest.digest() == artifact_digest([Entry("x", HELLO), Entry("w", HELLO)]) != before
    manifest.pop("w")
    assert manifest.digest() == before


SAMPLE = [
    Entry("data/a.bin", HELLO, 11, birth_artifact_id="7"),
    Entry("ref.csv", "etag-123", 40, ref="file:///tmp/ref.csv", extra={"etag": "x", "n": [1, 2]}),
    Entry('odd "name"\\é.txt', HELLO, 3),
]


def test_round_trip_v2() -> None:
    manifest = Manifest(SAMPLE)
    data = manifest.to_bytes()
    assert data.startswith(HEADER_LINE)
    lines = data.splitlines()
    assert len(lines) == 1 + len(SAMPLE)
    assert [json.loads(line)["path"] for line in lines[1:]] == sorted(e.path for e in SAMPLE)
    again = Manifest.from_bytes(data)
    assert again.entries == manifest.entries
    assert again.blob_digests() == {HELLO}
    assert again.size == 54
    assert again.get("data/a.bin") == SAMPLE[0]


def test_reads_v1_documents() -> None:
    """Manifests stored before version 2 (one JSON document, compact or indented) still read."""
    body = {"version": 1, "contents": {e.path: e.to_json() for e in SAMPLE}}
    for data in (json.dumps(body).encode(), json.dumps(body, indent=4).encode()):
        assert Manifest.from_bytes(data).entries == Manifest(SAMPLE).entries
        assert [e.path for e in iter_manifest_entries([data], "data/")] == ["data/a.bin"]
        assert summarise_manifest([data]).digest == Manifest(SAMPLE).digest()
    assert Manifest(SAMPLE).to_json_document() == {**body, "storagePolicy": "archivist-storage-v1",
                                                    "digestAlgorithm": "blake3"}  # fmt: skip


def test_entries_without_extra_share_one_empty_mapping() -> None:
    entry = Manifest.from_bytes(Manifest([Entry("a", HELLO, 1)]).to_bytes()).get("a")
    assert entry is not None and entry.extra is NO_EXTRA and entry.extra == {}
    assert Entry("a", HELLO, extra={}) == Entry("a", HELLO)
    assert hash(Entry("a", HELLO)) == hash(Entry("a", HELLO))
    assert not hasattr(Entry("a", HELLO), "__dict__")  # slots: small entries


@pytest.mark.parametrize("piece", [1, 7, 100, 4096])
def test_blocks_may_be_cut_anywhere(piece: int) -> None:
    entries = [Entry(f"f{i:04d}/é{i}", HELLO, i) for i in range(300)]
    data = Manifest(entries).to_bytes()
    blocks = [data[i : i + piece] for i in range(0, len(data), piece)]
    assert list(iter_manifest_entries(blocks)) == entries
    assert list(iter_manifest_entries(blocks, "f0123/")) == [entries[123]]


def test_a_missing_final_newline_is_accepted() -> None:
    data = Manifest(SAMPLE).to_bytes()
    assert Manifest.from_bytes(data.rstrip(b"\n")).entries == Manifest(SAMPLE).entries


def test_an_empty_artifact_is_a_header_alone() -> None:
    assert Manifest().to_bytes() == HEADER_LINE
    assert len(Manifest.from_bytes(HEADER_LINE)) == 0


PREFIX_PATHS = ["a.txt", "img/1.png", "img/2.png", "img2.png", "imh", "im", "z/img"]


@pytest.mark.parametrize("prefix", ["img", "img/", "im", "", "z", "nothing", "a.txt", "zz"])
def test_prefix_is_a_plain_string_prefix(prefix: str) -> None:
    manifest = Manifest(Entry(p, HELLO, 1) for p in PREFIX_PATHS)
    expected = sorted(p for p in PREFIX_PATHS if p.startswith(prefix))
    assert [e.path for e in iter_manifest_entries([manifest.to_bytes()], prefix)] == expected
    assert [e.path for e in manifest.iter_prefix(prefix)] == expected


def test_prefix_reading_stops_after_its_range() -> None:
    """A prefix near the start of a large manifest is listed after reading a little of it."""
    entries = [Entry(f"shard{i // 1000:03d}/{i:06d}", HELLO, 1) for i in range(50_000)]
    data = Manifest(entries).to_bytes()
    blocks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    consumed = 0

    def counted() -> object:
        nonlocal consumed
        for block in blocks:
            consumed += len(block)
            yield block

    listed = list(iter_manifest_entries(counted(), "shard001/"))  # type: ignore[arg-type]
    assert [e.path for e in listed] == [e.path for e in entries[1000:2000]]
    assert consumed < len(data) / 4


def test_prefix_paths_written_with_escapes_are_found() -> None:
    """Lines a reader cannot judge from their first bytes (escaped paths) are decoded fully."""
    header = HEADER_LINE.decode()
    escaped = json.dumps({"path": "img/bé.png", "digest": HELLO, "size": 1})  # ensure_ascii: \\u00e9
    plain = encode_entry(Entry("img/z.png", HELLO, 2))
    data = (header + encode_entry(Entry("a", HELLO)) + escaped + "\n" + plain).encode()
    assert [e.path for e in iter_manifest_entries([data], "img/")] == ["img/bé.png", "img/z.png"]


def test_summary_gathers_what_a_commit_needs() -> None:
    ref = Entry("r", "etag", 5, ref="s3://b/r")
    manifest = Manifest([*SAMPLE, ref])
    summary = summarise_manifest([manifest.to_bytes()])
    assert summary.digest == manifest.digest()
    assert (summary.size, len(summary), summary.blob_digests()) == (59, 4, {HELLO})


@pytest.mark.parametrize("evil", ["../escape", "/abs/path", "a//b", "a/../../b", "C:/x", "a\x00b"])
def test_reading_refuses_paths_that_escape(evil: str) -> None:
    body = {"version": 1, "contents": {evil: {"digest": HELLO, "size": 1}}}
    with pytest.raises(InvalidInputError):
        Manifest.from_bytes(json.dumps(body).encode())
    line = json.dumps({"path": evil, "digest": HELLO, "size": 1})
    with pytest.raises(InvalidInputError, match="manifest line 2"):
        Manifest.from_bytes(HEADER_LINE + line.encode())
    with pytest.raises(InvalidInputError, match="manifest line 2"):
        list(iter_manifest_entries([HEADER_LINE + line.encode()], evil[:1]))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"{}",
        json.dumps({"version": 2, "contents": {}}).encode(),
        json.dumps({"version": 3, "contents": {}}).encode(),
        json.dumps({"version": 1, "digestAlgorithm": "md5", "contents": {}}).encode(),
        json.dumps({"version": 1, "contents": {"a": {"digest": "zz", "size": 1}}}).encode(),
        json.dumps({"version": 1, "contents": {"a": {"digest": HELLO, "size": -1}}}).encode(),
        json.dumps({"version": 1, "contents": []}).encode(),
        json.dumps({"version": 1, "contents": {}}).encode() + b"\n{}",
        HEADER_LINE.replace(b"blake3", b"md5"),
    ],
)
def test_reading_refuses_malformed_manifests(body: bytes) -> None:
    with pytest.raises(IntegrityError):
        Manifest.from_bytes(body)


GOOD = encode_entry(Entry("a", HELLO, 1))
LAST = encode_entry(Entry("z", HELLO, 1))


@pytest.mark.parametrize(
    ("bad_line", "message", "prefix"),
    [
        ("not json\n", "line 3 is not valid JSON", "m"),
        ("\n", "line 3 is empty", "m"),
        ("[1, 2]\n", "line 3: an entry must be a JSON object", "m"),
        ('{"digest": "HASH"}\n', "line 3: the entry has no path", "m"),
        ('{"path": "m", "size": 1}\n', "line 3: entry 'm' has no digest", "m"),
        ('{"path": "m", "digest": "nothex", "size": 1}\n', "line 3: entry 'm' has a malformed digest", "m"),
        ('{"path": "m", "digest": "HASH", "size": true}\n', "line 3: entry 'm' has an invalid size", "m"),
        ('{"path": "m", "digest": "e", "ref": 5}\n', "line 3: entry 'm' has a non-string ref", "m"),
        ('{"path": "m", "digest": "e", "ref": "r", "extra": 1}\n', "line 3: entry 'm' has an 'extra'", "m"),
        ('{"path": "m", "digest": "HASH"} {}\n', "line 3 has extra characters", "m"),
        ('{"path": "m",\n"digest": "HASH"}\n', "line 3: an entry must be on one line", "m"),
        (encode_entry(Entry("a", HELLO, 2)), "line 3: path 'a' is out of order after 'a'", "a"),
        (encode_entry(Entry("0", HELLO, 2)), "line 3: path '0' is out of order after 'a'", None),
    ],
)
def test_malformed_lines_are_named(bad_line: str, message: str, prefix: str | None) -> None:
    data = (HEADER_LINE.decode() + GOOD + bad_line.replace("HASH", HELLO) + LAST).encode()
    with pytest.raises(IntegrityError, match=message):
        Manifest.from_bytes(data)
    if prefix is not None:  # a prefix read checks every line it has to look at
        with pytest.raises(IntegrityError, match=message):
            list(iter_manifest_entries([data], prefix))


def test_invalid_utf8_is_named_by_line() -> None:
    data = HEADER_LINE + GOOD.encode() + b'{"path":"\xff","digest":"x"}\n'
    with pytest.raises(IntegrityError, match="line 3 is not valid UTF-8"):
        Manifest.from_bytes(data)


def test_writing_refuses_unsorted_entries() -> None:
    from archivist.core.manifest_format import encode_manifest

    with pytest.raises(ValueError, match="sorted"):
        b"".join(encode_manifest([Entry("b", HELLO), Entry("a", HELLO)]))


TRICKY_PATHS = [
    "a",
    "a/b.c",
    ".hidden/x..y/...",
    "a/./b",
    "a/../b",
    "..",
    ".",
    "./a",
    "a/.",
    "a/..",
    "a//b",
    "/a",
    "a/",
    "",
    "C:/x",
    "c:x",
    "1:x",
    "a:b",
    "a\x00b",
    "x" * 4096,
    "x" * 4097,
    "é/ü",
    "back\\slash",
]


@pytest.mark.parametrize("path", TRICKY_PATHS)
def test_reading_accepts_exactly_the_valid_logical_paths(path: str) -> None:
    from archivist.core.manifest_entry import entry_from_json
    from archivist.core.paths import validate_logical_path

    try:
        expected: object = validate_logical_path(path)
    except InvalidInputError:
        expected = InvalidInputError
    try:
        read: object = entry_from_json(path, {"digest": HELLO, "size": 1}).path
    except InvalidInputError:
        read = InvalidInputError
    assert read == expected
