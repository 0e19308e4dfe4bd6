"""A transfer's progress callback that counts each byte once, when some bytes go twice.

A large blob streamed to the server's blob listener reports its bytes as they are sent.
When the listener breaks off midway, the whole blob goes again through the API, which
reports all of its bytes: without this account the progress bar would count the part
that was streamed twice and run past its total.
"""

from __future__ import annotations

import threading

from archivist.core.progress import Progress


class ProgressOnce:
    """Passes byte counts on to ``callback`` (which may be None); after
    ``sending_again(count)``, the next ``count`` bytes reported are not passed on.

    Callable from several transfer threads at once."""

    def __init__(self, callback: Progress | None) -> None:
        self._callback = callback
        self._counted_already = 0
        self._lock = threading.Lock()

    def __call__(self, count: int) -> None:
        with self._lock:
            skipped = min(count, self._counted_already)
            self._counted_already -= skipped
        if count > skipped and self._callback is not None:
            self._callback(count - skipped)

    def sending_again(self, count: int) -> None:
        """``count`` bytes reported so far will be sent, and reported, once more."""
        with self._lock:
            self._counted_already += count
