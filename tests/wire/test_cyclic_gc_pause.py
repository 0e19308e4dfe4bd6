"""paused_gc switches the cyclic collector off for a step and restores it, nested and threaded."""

from __future__ import annotations

import gc
import threading

from archivist.wire.cyclic_gc_pause import paused_gc


def test_the_collector_is_off_inside_and_back_on_after_nested_pauses() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_two_threads_end_with_the_collector_on() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with paused_gc():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with paused_gc():
        release.set()
        thread.join(5)
        assert not gc.isenabled()  # this thread's pause outlives the other's
    assert gc.isenabled()


def test_an_exception_inside_still_restores_the_collector() -> None:
    try:
        with paused_gc():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.isenabled()
