"""Declaring a call once: its typed signature in a protocol, and with it who may make it
and how it travels.

A protocol method decorated with ``call`` is a call of the API::

    @call("/versions/get", read(Version("version_id")))
    def get_version(self, version_id: VersionId) -> VersionRecord: ...

From that one declaration the server derives its route, the route's request schema and
its permission check, and the HTTP client derives its method (``archivist.server.calls``,
``archivist.client.remote_calls``). The request body is a JSON object with one member
per parameter, by name; the answer is the return value's JSON form.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from archivist.core.access import Need

F = TypeVar("F", bound=Callable[..., Any])
_SPEC = "__archivist_call__"


@dataclass(frozen=True)
class CallSpec:
    path: str
    """Under ``/api/v1``."""
    needs: tuple[Need, ...]
    """Who may make the call (``archivist.core.access``)."""
    method: str = "POST"
    idempotent: bool = True
    """Whether the client may send it again after a connection broke off."""


@dataclass(frozen=True)
class Call:
    """A declared call: its name, spec, parameters and their types, and its return type."""

    name: str
    spec: CallSpec
    parameters: tuple[tuple[str, Any, Any], ...]
    """``(name, type hint, default)``; the default is ``inspect.Parameter.empty`` when required."""
    returns: Any
    doc: str


def call(path: str, *needs: Need, method: str = "POST", idempotent: bool = True) -> Callable[[F], F]:
    """Declare a protocol method as a call of the API (see the module docstring)."""

    def declare(function: F) -> F:
        setattr(function, _SPEC, CallSpec(path, needs, method, idempotent))
        return function

    return declare


def declared_calls(protocol: type) -> Mapping[str, Call]:
    """The calls ``protocol`` declares, by name, in the order they are written."""
    found: dict[str, Call] = {}
    for name, member in vars(protocol).items():
        spec = getattr(member, _SPEC, None)
        if spec is None:
            continue
        hints = typing.get_type_hints(member, include_extras=True)
        signature = inspect.signature(member)
        parameters = tuple(
            (parameter.name, hints[parameter.name], parameter.default)
            for parameter in signature.parameters.values()
            if parameter.name != "self"
        )
        found[name] = Call(name, spec, parameters, hints.get("return"), inspect.getdoc(member) or "")
    return found
