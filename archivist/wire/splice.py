"""Moving bytes from a socket into a file inside the kernel (Linux ``splice``).

``SocketSplicer(sock, fd, count).step(limit)`` appends up to ``limit`` of the ``count``
bytes still to arrive on ``sock`` to the file ``fd``, through a pipe: the bytes never
pass through this process (no ``recv`` copy, no Python work per piece). It waits for
the peer at most the socket's timeout at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import socket

CAN_SPLICE = hasattr(os, "splice") and hasattr(select, "poll")
PIPE_BYTES = 1 << 20
"""Asked pipe capacity (Linux allows up to /proc/sys/fs/pipe-max-size, 1 MiB by default)."""
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class SocketSplicer:
    def __init__(self, sock: socket.socket, fd: int, count: int) -> None:
        self.sock, self.fd, self.remaining = sock, fd, count
        self._timeout = sock.gettimeout()
        self._read, self._write = os.pipe()
        with contextlib.suppress(OSError):  # a smaller pipe only means more steps
            fcntl.fcntl(self._write, _F_SETPIPE_SZ, PIPE_BYTES)
        self._poll = select.poll()
        self._poll.register(sock.fileno(), select.POLLIN)

    def step(self, limit: int) -> int:
        """Append up to ``limit`` more bytes to the file; how many (0 once all arrived).

        Raises ``ConnectionError`` when the peer closes early, ``TimeoutError`` when it
        sends nothing for the socket's timeout."""
        moved = 0
        while moved < limit and self.remaining:
            in_pipe = self._from_socket(min(limit - moved, self.remaining, PIPE_BYTES))
            while in_pipe:
                done = os.splice(self._read, self.fd, in_pipe, flags=os.SPLICE_F_MOVE)
                in_pipe -= done
                moved += done
                self.remaining -= done
        return moved

    def _from_socket(self, count: int) -> int:
        while True:
            try:
                flags = os.SPLICE_F_MOVE | os.SPLICE_F_NONBLOCK
                got = os.splice(self.sock.fileno(), self._write, count, flags=flags)
            except BlockingIOError:
                self._wait_for_bytes()
                continue
            if got == 0:
                raise ConnectionError(f"the peer closed the connection {self.remaining} bytes early")
            return got

    def _wait_for_bytes(self) -> None:
        timeout_ms = None if self._timeout is None else int(self._timeout * 1000)
        if not self._poll.poll(timeout_ms):
            raise TimeoutError(f"no bytes arrived for {self._timeout} s")

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)
