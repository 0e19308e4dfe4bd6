"""Batches handled on a thread of their own while the caller goes on producing them.

Used wherever bytes are stored behind the caller's back: ``add_dir`` storing the files
it hashes (``archivist.storage.store_sink``) and downloads keeping what they received
in the client cache (``archivist.client.transfer.cached_downloads``). The queue is bounded, so a producer
faster than the disk waits instead of piling bytes up in memory. After the handler
fails, later batches are dropped (the producer never blocks) and ``finish`` raises the
failure.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)
Batch = TypeVar("Batch")

_END = object()


class BatchWorker(Generic[Batch]):
    """``put`` batches, then ``finish`` (or ``cancel``); ``handle`` runs on the worker thread.

    ``done`` runs on the thread after the last batch (a pack is synced and indexed there);
    ``failed`` runs there when ``handle`` or ``done`` raised (to undo what was begun).
    """

    def __init__(
        self,
        handle: Callable[[Batch], None],
        *,
        queued: int,
        name: str,
        done: Callable[[], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._handle, self._done, self._failed = handle, done, failed
        self._batches: queue.Queue[object] = queue.Queue(maxsize=queued)
        self._error: BaseException | None = None
        self._cancelled = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def failure(self) -> BaseException | None:
        """What made the handler fail so far, if anything (``finish`` raises it)."""
        return self._error

    def put(self, batch: Batch) -> None:
        """Queue a batch (waits while ``queued`` batches are waiting already); never after ``close``."""
        self._batches.put(batch)

    def close(self) -> None:
        """No more batches: the thread handles those queued, then ends."""
        if not self._closed:
            self._closed = True
            self._batches.put(_END)

    def finish(self) -> None:
        """Block until every batch is handled; raises what made the handler fail."""
        self.close()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def cancel(self) -> None:
        """Stop after the batch being handled; the queued ones are dropped."""
        self._cancelled = True
        self.close()
        self._thread.join()

    def _run(self) -> None:
        ended = False
        try:
            while (batch := self._batches.get()) is not _END:
                if not self._cancelled:
                    self._handle(batch)  # type: ignore[arg-type]
            ended = True
            if self._done is not None and not self._cancelled:
                self._done()
        except BaseException as error:  # handed to whoever finishes
            self._error = error
            logger.debug("%s failed: %s", self._thread.name, error)
            if self._failed is not None:
                try:
                    self._failed(error)
                except Exception as undo_error:
                    logger.debug("%s could not undo: %s", self._thread.name, undo_error)
            while not ended:  # drain: the producer never blocks on a full queue
                ended = self._batches.get() is _END
