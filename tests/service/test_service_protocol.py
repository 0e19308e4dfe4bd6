"""The Service implements every Backend method with the same parameters."""

from __future__ import annotations

import inspect

import pytest

from archivist.core.backend import Backend
from archivist.service.service import Service

BACKEND_METHODS = [
    name for name, member in inspect.getmembers(Backend, inspect.isfunction) if not name.startswith("_")
]


def test_every_backend_method_is_listed() -> None:
    assert len(BACKEND_METHODS) >= 28 and "commit_version" in BACKEND_METHODS


@pytest.mark.parametrize("name", BACKEND_METHODS)
def test_service_method_matches_the_protocol(name: str) -> None:
    expected = inspect.signature(getattr(Backend, name))
    actual = inspect.signature(getattr(Service, name))
    assert [(p.name, p.default) for p in actual.parameters.values()] == [
        (p.name, p.default) for p in expected.parameters.values()
    ]
