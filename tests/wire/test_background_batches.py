"""BatchWorker: batches handled in order on one thread, bounded, failures raised at finish."""

from __future__ import annotations

import threading
import time

import pytest

from archivist.wire.background_batches import BatchWorker


def test_batches_are_handled_in_order_then_done_runs_once() -> None:
    handled: list[int] = []
    threads: set[str] = set()
    done: list[bool] = []

    def handle(batch: int) -> None:
        handled.append(batch)
        threads.add(threading.current_thread().name)

    worker: BatchWorker[int] = BatchWorker(
        handle, queued=2, name="test-worker", done=lambda: done.append(True)
    )
    for batch in range(50):
        worker.put(batch)
    worker.finish()
    assert handled == list(range(50))
    assert threads == {"test-worker"}
    assert done == [True]


def test_a_producer_faster_than_the_handler_waits_at_the_bound() -> None:
    release = threading.Event()
    started = threading.Event()

    def handle(_batch: int) -> None:
        started.set()
        release.wait()

    worker: BatchWorker[int] = BatchWorker(handle, queued=2, name="test-bounded")
    worker.put(0)
    started.wait()
    worker.put(1)
    worker.put(2)  # two waiting: the bound
    blocked = threading.Thread(target=worker.put, args=(3,))
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive()  # waits for room
    release.set()
    blocked.join(5)
    assert not blocked.is_alive()
    worker.finish()


def test_a_failure_is_raised_at_finish_undone_and_never_blocks_the_producer() -> None:
    handled: list[int] = []
    undone: list[BaseException] = []
    done: list[bool] = []

    def handle(batch: int) -> None:
        if batch == 3:
            raise OSError("disk full")
        handled.append(batch)

    worker: BatchWorker[int] = BatchWorker(
        handle, queued=1, name="test-failing", done=lambda: done.append(True), failed=undone.append
    )
    for batch in range(40):  # far more than the queue holds: none of these block
        worker.put(batch)
    with pytest.raises(OSError, match="disk full"):
        worker.finish()
    assert isinstance(worker.failure, OSError)
    assert handled == [0, 1, 2]
    assert [str(error) for error in undone] == ["disk full"]
    assert done == []


def test_a_failure_at_done_is_raised_at_finish() -> None:
    def fail() -> None:
        raise RuntimeError("sync failed")

    worker: BatchWorker[int] = BatchWorker(lambda _batch: None, queued=1, name="test-done", done=fail)
    worker.put(1)
    with pytest.raises(RuntimeError, match="sync failed"):
        worker.finish()


def test_cancel_drops_the_queued_batches() -> None:
    release, started = threading.Event(), threading.Event()
    handled: list[int] = []

    def handle(batch: int) -> None:
        started.set()
        release.wait()
        handled.append(batch)

    worker: BatchWorker[int] = BatchWorker(handle, queued=5, name="test-cancel")
    for batch in range(4):
        worker.put(batch)
    started.wait()
    canceller = threading.Thread(target=worker.cancel)
    canceller.start()
    while not worker._cancelled:  # the flag is up before the first batch ends
        time.sleep(0.001)
    release.set()
    canceller.join(5)
    assert not canceller.is_alive()
    assert handled == [0]
