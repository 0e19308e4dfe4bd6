"""A dispatcher: a background thread that delivers the outbox (``service.dispatch``).

Every ``archivist server`` process runs one, ``archivist ui`` runs one for the embedded
store, ``archivist automation worker`` runs one on its own, and an SDK process on the
embedded store starts one when its own changes wrote deliveries (``wake``) and waits for
them, bounded, when its run finishes (``drain``). It polls the outbox every
``poll_seconds`` and at once when woken.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select

from archivist.core.automations import DeliveryStatus
from archivist.metadata.engine import read_transaction
from archivist.metadata.schema import deliveries
from archivist.service.dispatch import DeliveryPolicy, claim, deliver
from archivist.service.timestamps import utc_now
from archivist.service.webhook_urls import UrlPolicy

if TYPE_CHECKING:
    import httpx

_log = logging.getLogger("archivist.automations")


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        urls: UrlPolicy,
        policy: DeliveryPolicy | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.engine = engine
        self.urls = urls
        self.policy = policy or DeliveryPolicy()
        self.poll_seconds = poll_seconds
        self.owner = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> Dispatcher:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="archivist-dispatcher", daemon=True)
                self._thread.start()
        return self

    def wake(self) -> None:
        """Deliveries were written: look now (starting the thread if needed)."""
        self.start()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self, client: httpx.Client) -> int:
        """Claim and attempt what is due now; the number of attempts made. A read looks
        first, so an idle dispatcher never takes SQLite's write lock."""
        made = 0
        if pending_due(self.engine) == 0:
            return 0
        while not self._stop.is_set():
            claimed = claim(self.engine, self.owner, self.policy)
            if not claimed:
                break
            for delivery in claimed:
                if deliver(self.engine, client, delivery, self.owner, self.policy, self.urls) is not None:
                    made += 1
        return made

    def _loop(self) -> None:
        import httpx  # here: a process that writes no delivery never needs it

        with httpx.Client(timeout=self.policy.timeout_seconds, follow_redirects=False) as client:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.run_once(client)
                except Exception:  # the database away for a moment: keep the thread, try again
                    _log.exception("the automation dispatcher failed a pass; trying again")
                self._wake.wait(self.poll_seconds)

    def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds until no delivery is due now; the number still
        pending (a later dispatcher sends them)."""
        if self._thread is None:  # this process wrote no deliveries
            return 0
        deadline = time.monotonic() + timeout
        while True:
            left = pending_due(self.engine)
            if left == 0 or time.monotonic() >= deadline:
                return left
            self.wake()
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


def pending_due(engine: Engine) -> int:
    """Deliveries waiting whose attempt is due now (retries scheduled later do not count)."""
    with read_transaction(engine) as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(deliveries)
                .where(
                    deliveries.c.status == DeliveryStatus.PENDING.value,
                    deliveries.c.next_attempt_at <= utc_now(),
                )
            ).scalar_one()
        )
