"""Coalesce many small changes into few backend writes.

A run changes its config, summary and history far more often than the store
should be written. ``Debouncer.touch()`` marks that something changed; the
write runs in a background timer ``interval`` seconds after the first unwritten
change (so at most once per interval), and ``flush()`` runs it right away (at
finish) so that nothing set is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from archivist.sdk.termlog import termwarn


class Debouncer:
    def __init__(self, action: Callable[[], None], interval: float, what: str) -> None:
        self._action = action
        self._interval = interval
        self._what = what
        self._lock = threading.Lock()  # guards the flags and the timer
        self._run_lock = threading.Lock()  # one action at a time
        self._pending = False
        self._timer: threading.Timer | None = None
        self._closed = False

    def touch(self) -> None:
        """Note a change; the action runs within ``interval`` seconds."""
        with self._lock:
            self._pending = True
            if self._timer is not None or self._closed:
                return
            self._timer = threading.Timer(self._interval, self._run_from_timer)
            self._timer.daemon = True  # never keep the interpreter alive
            self._timer.start()

    def flush(self) -> None:
        """Run the action now if a change is pending; errors propagate to the caller."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self._run_if_pending()

    def close(self) -> None:
        """Run the action one last time (pending or not) and stop scheduling timers;
        later changes wait for an explicit flush. Starts no thread, so it is safe
        while the interpreter shuts down."""
        with self._lock:
            self._closed = True
            self._pending = True
        self.flush()

    def _run_from_timer(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self._run_if_pending()
        except Exception as exc:  # the change stays pending; flush() at finish retries
            termwarn(f"could not write {self._what} yet ({exc}); will retry at finish")

    def _run_if_pending(self) -> None:
        with self._run_lock:
            with self._lock:
                if not self._pending:
                    return
                self._pending = False
            try:
                self._action()
            except BaseException:
                with self._lock:
                    self._pending = True
                raise
