"""Creating many small files, or links, from a few threads at once.

Creating a file is mostly kernel work (the directory entry, the inode, the write), done
without the GIL, so two threads create files (and hard links) about twice as fast as one;
four did no better than two on two cores (figures: benchmarks/PROFILE.md).

Reading and hashing many small files is the opposite: two threads were slower than one.
So only the creating goes to the threads; the caller's thread prepares the next
batches (reads them from a pack, say) meanwhile.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from archivist.core.progress import Progress

Item = TypeVar("Item")
Result = TypeVar("Result")

WORKERS = min(4, os.cpu_count() or 1)
BATCH_FILES = 256
BATCH_BYTES = 4 << 20
"""A batch holds at most this many bytes to write (more only for a single larger item)."""
PARALLEL_MIN_FILES = 512
"""Fewer files than this are created on the caller's thread: threads would not pay."""


def workers_for(count: int) -> int:
    """How many threads to create ``count`` files with (1: the caller's thread alone)."""
    return WORKERS if count >= PARALLEL_MIN_FILES else 1


def batches(items: Iterable[Item], size_of: Callable[[Item], int] | None = None) -> Iterator[list[Item]]:
    """``items`` in lists of at most ``BATCH_FILES``, and at most ``BATCH_BYTES`` by ``size_of``."""
    batch: list[Item] = []
    held = 0
    for item in items:
        batch.append(item)
        held += size_of(item) if size_of is not None else 0
        if len(batch) >= BATCH_FILES or held >= BATCH_BYTES:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


def map_batches(
    work: Callable[[Sequence[Item]], Result], batches: Iterable[Sequence[Item]], workers: int
) -> list[Result]:
    """``work`` of each batch, in order, run on ``workers`` threads (on the caller's thread
    when 1) while the caller's thread takes the next batches from ``batches``.

    At most two batches per thread wait at a time, so a fast producer does not pile up
    bytes. Results are collected in order, so a failed batch is seen when it is the oldest
    one waiting: then no more batches are taken from ``batches``, those queued and not yet
    started are cancelled, those running end, and that batch's error is raised.
    """
    if workers <= 1:
        return [work(batch) for batch in batches]
    results: list[Result] = []
    with ThreadPoolExecutor(workers, thread_name_prefix="archivist-files") as pool:
        window: deque[Future[Result]] = deque()
        try:
            for batch in batches:
                if len(window) >= 2 * workers:
                    results.append(window.popleft().result())
                window.append(pool.submit(work, batch))
            while window:
                results.append(window.popleft().result())
        except BaseException:
            for waiting in window:
                waiting.cancel()
            raise
    return results


def locked(report: Progress) -> Progress:
    """``report`` made safe to call from several threads."""
    lock = threading.Lock()

    def call(count: int) -> None:
        with lock:
            report(count)

    return call
