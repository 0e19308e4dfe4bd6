"""Logs still running in the background in this process, by collection, so that a lookup
of ``name:latest`` right after ``log_artifact(name)`` (``use_artifact``, ``Api.artifact``,
an incremental draft building on the latest version) waits for them instead of missing
the version being logged."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures import wait as wait_all
from typing import Any

Key = tuple[str, str, str]
"""(entity, project, collection name) of a log."""

_running: dict[int, tuple[Key, Future[Any]]] = {}
_lock = threading.Lock()


def note(key: Key, future: Future[Any]) -> None:
    """``future`` ends when the log of collection ``key`` commits or fails."""
    with _lock:
        _running[id(future)] = (key, future)
    future.add_done_callback(_forget)


def _forget(future: Future[Any]) -> None:
    with _lock:
        _running.pop(id(future), None)


def wait_for(name: str, entity: str | None = None, project: str | None = None) -> None:
    """Block until every background log of collection ``name`` (of ``entity`` and
    ``project`` when given) has ended. Failures are not raised here: ``wait()`` and the
    run's end report them."""
    with _lock:
        futures = [
            future
            for (key_entity, key_project, key_name), future in _running.values()
            if key_name == name and entity in (None, key_entity) and project in (None, key_project)
        ]
    if futures:
        wait_all(futures)
