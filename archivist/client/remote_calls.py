"""The client's side of the declared calls: one method per call, derived from its
declaration (``archivist.core.calls``), never written by hand.

``install_remote_calls(cls, calls)`` gives ``cls`` -- a class with an ``ApiSession`` in
``self.session`` -- a method for each call it does not define itself. The method binds its
arguments as the protocol's signature says, checks those the declaration marks with a
check (a version id is refused as the embedded store refuses it), sends one JSON member
per parameter to the call's route, and rebuilds the answer from the call's return type.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from archivist.core.calls import Call
from archivist.core.ids import Pattern
from archivist.core.record_json import from_wire, to_wire

C = TypeVar("C", bound=type)


def install_remote_calls(cls: C, calls: Mapping[str, Call]) -> C:
    """Add a remote method to ``cls`` for each of ``calls`` it does not define."""
    for name, declared in calls.items():
        if name not in vars(cls):
            setattr(cls, name, _remote_method(declared))
    return cls


def _remote_method(declared: Call) -> Callable[..., Any]:
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=hint, default=default)
        for name, hint, default in declared.parameters
    ]
    signature = inspect.Signature(parameters, return_annotation=declared.returns)
    checks = {name: check for name, hint, _default in declared.parameters if (check := _check_of(hint))}
    spec = declared.spec

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        del arguments["self"]
        for name, check in checks.items():
            if arguments[name] is not None:
                check(arguments[name])
        payload = {name: to_wire(value) for name, value in arguments.items()} if arguments else None
        answer = self.session.call(spec.path, payload, idempotent=spec.idempotent, method=spec.method)
        return from_wire(declared.returns, answer)

    method.__name__ = declared.name
    method.__doc__ = declared.doc
    method.__signature__ = signature  # type: ignore[attr-defined]
    return method


def _check_of(hint: Any) -> Callable[[object], object] | None:
    """The client-side check of a parameter type (``Annotated[str, Pattern(..., check=f)]``),
    also inside ``X | None``."""
    for option in (hint, *typing.get_args(hint)):
        if typing.get_origin(option) is typing.Annotated:
            for extra in typing.get_args(option)[1:]:
                if isinstance(extra, Pattern) and extra.check is not None:
                    return extra.check
    return None
