"""The service as one user of a server may call it: the only way the API routes and the
web UI on a server reach it.

Each call named in ``archivist.core.access`` is checked against the rights it declares
(on its bound arguments), runs on the service scoped to the user (blob presence and reads
limited to what they may read), and its answer is redacted for them
(``archivist.core.redaction``). A name that no declaration covers does not exist here, so
nothing reaches the service unchecked.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from archivist.core.api import CALLS
from archivist.core.redaction import redact
from archivist.service.account_calls import AccountCalls
from archivist.service.authorization import Access
from archivist.service.service import Service


class AuthorizedService:
    """Backend and account calls for one user (see the module docstring)."""

    def __init__(self, service: Service, access: Access) -> None:
        self.access = access
        self.service = service.for_user(access)
        self._accounts = AccountCalls(service.engine, access.principal)

    def call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Make call ``name`` after checking its declared rights; the answer comes back
        redacted for this user."""
        target = self._target(name)
        bound = inspect.signature(target).bind(*args, **kwargs)
        bound.apply_defaults()
        self.access.require(name, bound.arguments)
        return redact(target(*bound.args, **bound.kwargs), self.access.can_read)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in CALLS:
            raise AttributeError(f"{name!r} is not a call of the server (archivist.core.access.CALLS)")
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def _target(self, name: str) -> Callable[..., Any]:
        if name not in CALLS:
            raise AttributeError(f"{name!r} is not a call of the server (archivist.core.access.CALLS)")
        found: Callable[..., Any] | None = getattr(self.service, name, None)
        found = found or getattr(self._accounts, name, None)
        if found is None:
            raise AttributeError(f"call {name!r} is declared but neither the service nor accounts have it")
        return found
