"""Is the process that runs a run still alive? Only answerable on the run's own host."""

from __future__ import annotations

import os
import socket


def this_host() -> str:
    return socket.gethostname()


def process_gone(host: str | None, pid: int | None) -> bool:
    """True when ``pid`` on ``host`` is known to have ended: the host is this machine
    and no such process exists (a zombie, ended but not yet reaped, counts as ended)."""
    if host is None or pid is None or pid <= 0 or host != this_host():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # "pid (comm) state ...": comm may contain spaces, so split after the last ')'
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False
