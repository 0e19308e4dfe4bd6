"""Baselines: what the disk and the CPU allow, measured in the same run as the operations.

``cp -r``/``cp`` and hard-linking (``cp -rl``) are the programs users compare with; the
others (plain read, read + BLAKE3, a stat walk, encoding a manifest of M1's size) run
here as small Python children, timed from inside, so interpreter start-up is left out
exactly as it is for Archivist's operations.

Run as a script, this module is such a child: ``baselines.py NAME ARG...``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import blake3
from measure import ChildRun, python_child, report_result, run_child, timed

_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Baseline:
    name: str
    title: str
    workload: str
    """The workload it is measured on: ``w1``, ``w2``, ``w5`` or ``m1``."""
    argv: Callable[[dict[str, str]], list[str]]
    """The command, given the paths of this repetition (see ``run.py``)."""
    makes_files: bool = False
    """It writes a copy (into ``paths['scratch']``)."""


def _scratch(paths: dict[str, str], name: str) -> str:
    return os.path.join(paths["scratch"], name)


def _m1_child(action: str, paths: dict[str, str]) -> list[str]:
    return python_child("baselines.py", action, paths["data"], paths["m1_entries"], paths["m1_per_folder"])


BASELINES: dict[str, Baseline] = {
    b.name: b
    for b in [
        Baseline("cp_w2", "cp -r W2", "w2", lambda p: ["cp", "-r", p["w2"], _scratch(p, "cp-w2")], True),
        Baseline("link_w2", "cp -rl W2 (hard links)", "w2",
                 lambda p: ["cp", "-rl", p["w2"], _scratch(p, "link-w2")], True),
        Baseline("stat_w2", "stat walk W2", "w2", lambda p: python_child("baselines.py", "stat", p["w2"])),
        Baseline("read_w2", "read W2", "w2", lambda p: python_child("baselines.py", "read", p["w2"])),
        Baseline("blake3_w2", "read+BLAKE3 W2", "w2",
                 lambda p: python_child("baselines.py", "blake3", p["w2"])),
        Baseline("cp_w1", "cp W1", "w1", lambda p: ["cp", p["w1"], _scratch(p, "cp-w1.bin")], True),
        Baseline("read_w1", "read W1", "w1", lambda p: python_child("baselines.py", "read", p["w1"])),
        Baseline("blake3_w1", "BLAKE3 W1", "w1", lambda p: python_child("baselines.py", "blake3", p["w1"])),
        Baseline("cp_w5", "cp W5", "w5", lambda p: ["cp", p["w5"], _scratch(p, "cp-w5.bin")], True),
        Baseline("json_m1", "encode+hash M1 manifest JSON", "m1", lambda p: _m1_child("encode", p)),
        Baseline("decode_m1", "decode M1 manifest JSON", "m1", lambda p: _m1_child("decode", p)),
    ]
}  # fmt: skip


def run_baseline(baseline: Baseline, paths: dict[str, str]) -> ChildRun:
    return run_child(baseline.argv(paths))


# --- the child side -----------------------------------------------------------------------------


def _files(root: str) -> Iterator[str]:
    if os.path.isfile(root):
        yield root
        return
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    stack.append(entry.path)
                else:
                    yield entry.path


def _stat_walk(root: str) -> int:
    count = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                st = entry.stat()
                if (st.st_mode & 0o170000) == 0o040000:
                    stack.append(entry.path)
                else:
                    count += 1
    return count


def _read_all(root: str) -> int:
    total = 0
    for path in _files(root):
        fd = os.open(path, os.O_RDONLY)
        try:
            while chunk := os.read(fd, _READ_CHUNK):
                total += len(chunk)
        finally:
            os.close(fd)
    return total


def _blake3_all(root: str) -> int:
    total = 0
    for path in _files(root):
        size = os.path.getsize(path)
        if size >= _READ_CHUNK:
            blake3.blake3(max_threads=blake3.blake3.AUTO).update_mmap(path).hexdigest()
        else:
            with open(path, "rb") as handle:
                blake3.blake3(handle.read()).hexdigest()
        total += size
    return total


def _m1_contents(data_root: str, entries: str, per_folder: str) -> dict[str, dict[str, Any]]:
    from workloads import Sizes, m1_entries

    sizes = Sizes(m1_entries=int(entries), m1_per_folder=int(per_folder))
    return {
        path: {"digest": blake3.blake3(uri.encode()).hexdigest(), "size": 0, "ref": uri}
        for path, uri in m1_entries(sizes, data_root)
    }


def _encode(contents: dict[str, Any]) -> bytes:
    data = json.dumps({"version": 1, "contents": contents}, separators=(",", ":")).encode()
    blake3.blake3(data).hexdigest()
    return data


# Each action: an untimed preparation from the command line's arguments, then the timed part.
_CHILD_ACTIONS: dict[str, tuple[Callable[..., Any], Callable[[Any], int]]] = {
    "stat": (str, _stat_walk),
    "read": (str, _read_all),
    "blake3": (str, _blake3_all),
    "encode": (_m1_contents, lambda contents: len(_encode(contents))),
    "decode": (lambda *args: _encode(_m1_contents(*args)), lambda data: len(json.loads(data)["contents"])),
}


def main(argv: list[str]) -> None:
    prepare, action = _CHILD_ACTIONS[argv[0]]
    prepared = prepare(*argv[1:])
    seconds, amount = timed(lambda: action(prepared))
    report_result(seconds, amount=amount)


if __name__ == "__main__":
    main(sys.argv[1:])
