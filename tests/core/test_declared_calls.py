"""Each call is declared once (``archivist.core.backend``, ``archivist.core.accounts_api``):
every implementation takes exactly the declared parameters, every call says who may make it,
and no two calls share a route."""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import pytest

from archivist.client.admin import AdminClient
from archivist.client.http import HttpBackend
from archivist.core.api import ACCOUNT_CALLS, BACKEND_CALLS, ROUTED_CALLS
from archivist.core.calls import Call
from archivist.service.account_calls import AccountCalls
from archivist.service.service import Service


def _parameters(implementation: type, name: str) -> list[tuple[str, object]]:
    method = getattr(implementation, name, None)
    assert callable(method), f"{implementation.__name__} lacks the declared call {name}"
    return [(p.name, p.default) for p in inspect.signature(method).parameters.values() if p.name != "self"]


def _declared(declared: Call) -> list[tuple[str, object]]:
    return [(name, default) for name, _, default in declared.parameters]


IMPLEMENTATIONS: list[tuple[type, Mapping[str, Call]]] = [
    (Service, BACKEND_CALLS),
    (HttpBackend, BACKEND_CALLS),
    (AccountCalls, ACCOUNT_CALLS),
    (AdminClient, ACCOUNT_CALLS),
]


@pytest.mark.parametrize(
    ("implementation", "calls"), IMPLEMENTATIONS, ids=[impl.__name__ for impl, _ in IMPLEMENTATIONS]
)
def test_every_implementation_takes_the_declared_parameters(
    implementation: type, calls: Mapping[str, Call]
) -> None:
    for name, declared in calls.items():
        assert _parameters(implementation, name) == _declared(declared), f"{implementation.__name__}.{name}"


def test_every_call_says_who_may_make_it_and_has_a_route_of_its_own() -> None:
    paths = [declared.spec.path for declared in ROUTED_CALLS.values()]
    assert len(paths) == len(set(paths)), "two calls share a route"
    for name, declared in ROUTED_CALLS.items():
        assert declared.spec.needs, f"{name} declares no need: every call says who may make it"
        assert declared.spec.path.startswith("/"), name
        assert declared.doc, f"{name} has no docstring: its OpenAPI description comes from it"
