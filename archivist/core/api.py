"""Every call of the API in one place: the Backend's, the accounts' and the blob calls,
each with the rights it declares (``archivist.core.access``)."""

from __future__ import annotations

from collections.abc import Mapping

from archivist.core.access import BLOB_CALLS, Need
from archivist.core.accounts_api import AccountsApi
from archivist.core.backend import Backend
from archivist.core.calls import Call, declared_calls

BACKEND_CALLS: Mapping[str, Call] = declared_calls(Backend)
ACCOUNT_CALLS: Mapping[str, Call] = declared_calls(AccountsApi)
ROUTED_CALLS: Mapping[str, Call] = {**BACKEND_CALLS, **ACCOUNT_CALLS}
"""The calls whose route, schema and client method are derived from their declaration."""

CALLS: Mapping[str, tuple[Need, ...]] = {
    **{name: declared.spec.needs for name, declared in ROUTED_CALLS.items()},
    **BLOB_CALLS,
}


def needs_of(call: str) -> tuple[Need, ...]:
    """The needs of ``call``; ``KeyError`` for a call nobody declared (refused, never allowed)."""
    return CALLS[call]
