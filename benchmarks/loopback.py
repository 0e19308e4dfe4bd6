"""Starting a server process on a free loopback port and stopping it afterwards."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping


class StartFailed(Exception):
    """The server exited or did not answer its health check in time."""


@contextlib.contextmanager
def serve(
    argv_for_port: Callable[[int], list[str]],
    env: Mapping[str, str],
    log_path: str,
    health_path: str = "/health",
    timeout: float = 90,
) -> Iterator[str]:
    """Run ``argv_for_port(port)`` until the block ends; yields ``http://127.0.0.1:<port>``."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv_for_port(port), stdout=log, stderr=subprocess.STDOUT, env=dict(env))
        try:
            _wait_until_up(url + health_path, process, timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartFailed(f"it exited with code {process.returncode} (see its log)")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.3)
    raise StartFailed(f"{url} did not answer within {timeout:.0f} s")
