import json

import pytest

from archivist.core.errors import IntegrityError, InvalidInputError
from archivist.core.manifest import Entry, Manifest, artifact_digest, hash_bytes

HELLO = hash_bytes(b"hello world")


def test_artifact_digest_follows_the_recipe() -> None:
    import blake3

    expected = blake3.blake3(f"wandb-artifact-manifest-v1\na.txt:{HELLO}\nb.txt:{HELLO}\n".encode())
    entries = [Entry("b.txt", HELLO, 11), Entry("a.txt", HELLO, 11)]
    assert artifact_digest(entries) == expected.hexdigest()
    assert artifact_digest([]) == blake3.blake3(b"wandb-artifact-manifest-v1\n").hexdigest()


def test_digest_ignores_sizes_refs_and_order() -> None:
    a = Manifest([Entry("x", HELLO, 1), Entry("y", HELLO, 2)])
    b = Manifest([Entry("y", HELLO, 99), Entry("x", HELLO, 5)])
    assert a.digest() == b.digest()
    assert a.digest() != Manifest([Entry("x", HELLO, 1)]).digest()


def test_round_trip() -> None:
    manifest = Manifest(
        [
            Entry("data/a.bin", HELLO, 11, birth_artifact_id="7"),
            Entry("ref.csv", "etag-123", 40, ref="file:///tmp/ref.csv", extra={"etag": "x"}),
        ]
    )
    again = Manifest.from_bytes(manifest.to_bytes())
    assert again.entries == manifest.entries
    assert again.blob_digests() == {HELLO}
    assert again.size == 51


@pytest.mark.parametrize("evil", ["../escape", "/abs/path", "a//b", "a/../../b"])
def test_reading_refuses_paths_that_escape(evil: str) -> None:
    body = {"version": 1, "contents": {evil: {"digest": HELLO, "size": 1}}}
    with pytest.raises(InvalidInputError):
        Manifest.from_bytes(json.dumps(body).encode())


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        json.dumps({"version": 2, "contents": {}}).encode(),
        json.dumps({"version": 1, "digestAlgorithm": "md5", "contents": {}}).encode(),
        json.dumps({"version": 1, "contents": {"a": {"digest": "zz", "size": 1}}}).encode(),
        json.dumps({"version": 1, "contents": {"a": {"digest": HELLO, "size": -1}}}).encode(),
        json.dumps({"version": 1, "contents": []}).encode(),
    ],
)
def test_reading_refuses_malformed_manifests(body: bytes) -> None:
    with pytest.raises(IntegrityError):
        Manifest.from_bytes(body)
