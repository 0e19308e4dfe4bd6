"""Telling whether a run's process is still alive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from archivist.service.liveness import process_gone, this_host


def test_a_live_process_on_this_host_is_not_gone() -> None:
    assert process_gone(this_host(), os.getpid()) is False


def test_an_ended_and_reaped_process_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_gone(this_host(), child.pid) is True


def test_an_ended_but_unreaped_process_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_gone(this_host(), child.pid) is False
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not process_gone(this_host(), child.pid):  # a zombie until we wait() for it
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        child.kill()
        child.wait()


def test_processes_of_other_hosts_or_unknown_ones_are_never_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_gone("another-host", child.pid) is False
    assert process_gone(None, child.pid) is False
    assert process_gone(this_host(), None) is False
