"""The routes of the declared calls, derived from their declarations (``archivist.core.api``).

Each call becomes one route under ``/api/v1`` at the path it declares: its request body is
the schema ``wire_models.body_model`` derives from its parameters, its answer the JSON form
of its return value (documented by the return type), and it runs through ``Caller.call``,
which checks the rights the call declares and redacts the answer for the caller. No route
of a declared call is written by hand.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from archivist.core.api import ROUTED_CALLS
from archivist.core.calls import Call
from archivist.server.auth import Who
from archivist.server.replies import API_PREFIX, reply
from archivist.server.wire_models import body_model, from_body


def call_routes() -> APIRouter:
    """One route per declared call."""
    router = APIRouter(prefix=API_PREFIX)
    for declared in ROUTED_CALLS.values():
        router.add_api_route(
            declared.spec.path,
            _endpoint(declared),
            methods=[declared.spec.method],
            response_model=None if declared.returns is type(None) else declared.returns,
            name=declared.name,
            summary=declared.name.replace("_", " "),
            description=declared.doc,
            tags=[_tag(declared)],
        )
    return router


def _endpoint(declared: Call) -> Any:
    """A function FastAPI can route: its body parameter typed with the call's schema."""
    body_type = body_model(declared) if declared.parameters else None
    # a call whose parameters all have defaults may be posted without a body (as before it
    # had any): clients of the call's earlier form keep working
    optional = all(default is not inspect.Parameter.empty for _name, _hint, default in declared.parameters)

    def endpoint(who: Who, body: Any = None) -> JSONResponse:
        if body is None and body_type is not None:
            body = body_type()
        arguments = from_body(declared, body) if body_type is not None else {}
        return reply(who.call(declared.name, **arguments))

    parameters = [inspect.Parameter("who", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Who)]
    if body_type is not None:
        parameters.append(
            inspect.Parameter(
                "body",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=body_type | None if optional else body_type,
                default=None if optional else inspect.Parameter.empty,
            )
        )
    endpoint.__signature__ = inspect.Signature(parameters, return_annotation=JSONResponse)  # type: ignore[attr-defined]
    endpoint.__name__ = declared.name
    endpoint.__doc__ = declared.doc
    return endpoint


def _tag(declared: Call) -> str:
    first = declared.spec.path.strip("/").split("/")[0]
    return {
        "admin": "accounts",
        "identity": "accounts",
        "projects": "collections",
        "types": "collections",
    }.get(first, first)
