"""Timing and peak memory of one step run in its own process, and sizes of folders.

Every measured step (an Archivist operation, a baseline such as ``cp -r``, a peer
tool) runs in a fresh child process, so its peak RSS is its own: the parent reads
it from ``os.wait4`` (the rusage of exactly that child), not from
``RUSAGE_CHILDREN``, which would keep the maximum over all earlier children.

A Python child reports the seconds of its timed section on its last stdout line
(``BENCH-RESULT {json}``), which leaves out interpreter start-up and imports; for
other programs (``cp``) the parent's wall clock is the time.

Peak RSS: Linux carries a parent's RSS high-water mark at ``fork`` into the child's
``ru_maxrss`` (across ``exec`` too), so ``wait4`` reports at least the parent's own
RSS (~27 MB here). A Python child therefore reports its own ``VmHWM`` from
``/proc/self/status`` (the peak of the process image after ``exec``); for other
programs the ``wait4`` figure is only an upper bound and is not shown.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "
_STDERR_TAIL_CHARS = 2000
_FAILURE_CHARS = 160


@dataclass
class ChildRun:
    """What one child process did."""

    seconds: float
    """The timed section as the child reported it, else the wall time of the whole process."""
    wall_seconds: float
    peak_rss_bytes: int | None
    """The child's own peak RSS, when it reported it (see the module docstring)."""
    returncode: int
    payload: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self) -> str:
        """One line saying why the child failed (its last stderr line)."""
        lines = [line for line in self.stderr_tail.splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no output"
        if len(last) > _FAILURE_CHARS:
            last = last[:_FAILURE_CHARS] + "..."
        return f"exit code {self.returncode}: {last}"


def run_child(argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | None = None) -> ChildRun:
    """Run ``argv`` to completion; its time, peak RSS and reported result."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = _drain(process)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    payload = _parse_result(stdout)
    seconds = float(payload.get("seconds", wall))
    del usage  # ru_maxrss includes the parent's RSS at fork time: not the child's own peak
    return ChildRun(
        seconds=seconds,
        wall_seconds=wall,
        peak_rss_bytes=payload.get("peak_rss_bytes"),
        returncode=process.returncode,
        payload=payload,
        stderr_tail=stderr[-_STDERR_TAIL_CHARS:],
    )


def _drain(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Read both pipes to the end without reaping the child (``wait4`` does that)."""
    import threading

    collected: dict[str, str] = {}

    def read(name: str, stream: Any) -> None:
        collected[name] = stream.read()
        stream.close()

    readers = [
        threading.Thread(target=read, args=("out", process.stdout)),
        threading.Thread(target=read, args=("err", process.stderr)),
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return collected.get("out", ""), collected.get("err", "")


def _parse_result(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    return {}


def python_child(script: str, *args: str) -> list[str]:
    """The argv running a sibling script of this folder with the current interpreter."""
    return [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), script), *args]


def report_result(seconds: float, **extra: Any) -> None:
    """Called by a child: print the result line the parent parses, with the peak RSS so far."""
    body = {"seconds": seconds, "peak_rss_bytes": own_peak_rss(), **extra}
    print(RESULT_PREFIX + json.dumps(body), flush=True)


def own_peak_rss() -> int | None:
    """This process's peak resident set size (``VmHWM``), in bytes."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """``(seconds, result)`` of calling ``action``."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


@dataclass(frozen=True)
class TreeSize:
    files: int
    apparent_bytes: int
    """Sum of file sizes."""
    allocated_bytes: int
    """Disk blocks actually used (small files round up to the filesystem block)."""

    def __sub__(self, other: TreeSize) -> TreeSize:
        return TreeSize(
            self.files - other.files,
            self.apparent_bytes - other.apparent_bytes,
            self.allocated_bytes - other.allocated_bytes,
        )


EMPTY_TREE = TreeSize(0, 0, 0)


def tree_size(root: str) -> TreeSize:
    """Files and bytes under ``root`` (symlinks not followed); zero when it does not exist."""
    files = apparent = allocated = 0
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
                continue
            st = entry.stat(follow_symlinks=False)
            files += 1
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return TreeSize(files, apparent, allocated)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
