"""``file://`` URIs: the quick path for plain URIs gives what urlparse + unquote give."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

import pytest

from archivist.core.errors import InvalidInputError
from archivist.core.manifest import hash_bytes
from archivist.sdk.references.file import FileReferenceHandler, file_uri_path

URIS = [
    "file:///data/m1/shard0000/item0000000.bin",
    "file:///",
    "file:////double/slash",
    "file:///caf\u00e9/na\u00efve.txt",
    "file:///with space/x",
    "file:///tab\there",
    "file:///percent%20encoded/a%2Fb",
    "file:///query?x=1",
    "file:///frag#ment",
    "file:///semi;colon.txt",
    "file:///back\\slash",
    "file:///trailing/",
    "file://localhost/on/localhost",
    "FILE:///UPPER/scheme",
    "file:///brackets[1]/x",
]


@pytest.mark.parametrize("uri", URIS)
def test_quick_and_full_parsing_agree(uri: str) -> None:
    assert file_uri_path(uri) == unquote(urlparse(uri).path)


def test_a_host_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="names host"):
        file_uri_path("file://server/share/x")


def test_unchecked_references_keep_their_digest_and_name() -> None:
    uri = "file:///data/m1/g0/shard0001/item0001000.bin"
    (entry,) = FileReferenceHandler().store(uri, "shard0001/item0001000.bin", False, 10)
    assert (entry.path, entry.digest, entry.size, entry.ref) == (
        "shard0001/item0001000.bin",
        hash_bytes(uri.encode()),
        0,
        uri,
    )
    (unnamed,) = FileReferenceHandler().store(uri, None, False, 10)
    assert unnamed.path == "item0001000.bin"
