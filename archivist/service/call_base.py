"""What the Service's call mixins (``run_calls``, ``blob_calls``, ``version_calls``,
``lifecycle_calls``, ``collection_calls``, ``registry_calls``) share: the attributes and
methods of the Service they use, declared here (the Service sets and defines them), and who
calls, for the protected aliases."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Connection, Engine

from archivist.core.accounts import ADMIN
from archivist.service import alias_guard
from archivist.service.authorization import Access
from archivist.service.event_outbox import Outbox
from archivist.storage.base import BlobStore


class CallBase:
    engine: Engine
    store: BlobStore
    access: Access | None
    _default_entity: str
    _writing: Callable[[], AbstractContextManager[Connection]]  # the Service's
    outbox: Callable[[], Outbox]  # AutomationCalls'
    delivered_soon: Callable[[Outbox], None]  # AutomationCalls'

    def _actor(self) -> alias_guard.Actor:
        """Who calls, for the protected aliases: a server's user with their registry roles,
        or the embedded store's own user, admin of every registry."""
        access = self.access
        if access is None:
            return alias_guard.Actor(self._default_entity, lambda registry: True)
        return alias_guard.Actor(access.user, lambda registry: access.registry_role(registry) == ADMIN)
