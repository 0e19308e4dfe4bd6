"""Both BlobTransfers implement every member of the protocol with its parameters."""

from __future__ import annotations

import inspect

import pytest

from archivist.client.transfer.http_blob_transfer import HttpBlobTransfer
from archivist.core.blob_transfer import BlobTransfer
from archivist.service.embedded_transfer import EmbeddedTransfer

MEMBERS = [
    name for name, _ in inspect.getmembers(BlobTransfer, inspect.isfunction) if not name.startswith("_")
]


def test_the_protocol_is_narrow() -> None:
    assert "place_blobs" in MEMBERS and len(MEMBERS) <= 14


@pytest.mark.parametrize("implementation", [EmbeddedTransfer, HttpBlobTransfer])
@pytest.mark.parametrize("name", MEMBERS)
def test_member_matches_the_protocol(implementation: type, name: str) -> None:
    expected = inspect.signature(getattr(BlobTransfer, name))
    actual = inspect.signature(getattr(implementation, name))
    assert [(p.name, p.default) for p in actual.parameters.values()] == [
        (p.name, p.default) for p in expected.parameters.values()
    ]
