"""Where the operations send their data: the embedded store, or a server on loopback.

The operations use the public API only, so the same child runs against either: the
embedded store is chosen by ``ARCHIVIST_DIR``, a server by ``ARCHIVIST_BASE_URL`` and
``ARCHIVIST_API_KEY``. ``--server`` starts ``archivist server`` over SQLite and a
folder store under the repetition's scratch folder, when that command exists.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from loopback import StartFailed, serve


class ServerUnavailable(Exception):
    """``archivist server`` cannot be started here (not built yet, or it failed)."""


@dataclass(frozen=True)
class Target:
    """The environment a child needs to reach the store, and the folder whose growth we report."""

    env: dict[str, str]
    store_dir: str
    description: str


def embedded(home: str, cache_dir: str) -> Target:
    env = _client_env(cache_dir)
    env["ARCHIVIST_DIR"] = home
    env.pop("ARCHIVIST_BASE_URL", None)
    return Target(env, home, f"embedded store in {home}")


def _client_env(cache_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(ARCHIVIST_CACHE_DIR=cache_dir, ARCHIVIST_SILENT="1")
    for name in ("ARCHIVIST_ENTITY", "ARCHIVIST_PROJECT"):
        env.pop(name, None)
    return env


def server_command_available() -> str | None:
    """None when ``archivist server`` exists, else why not."""
    probe = subprocess.run(
        [sys.executable, "-m", "archivist", "server", "--help"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return "server not available: `archivist server` does not exist yet"
    return None


@contextlib.contextmanager
def server(state_dir: str, cache_dir: str) -> Iterator[Target]:
    """A server over SQLite and a folder store on a free loopback port, stopped afterwards."""
    reason = server_command_available()
    if reason is not None:
        raise ServerUnavailable(reason)
    os.makedirs(state_dir, exist_ok=True)
    store_dir = os.path.join(state_dir, "blobs")
    admin_key = "ak_" + secrets.token_urlsafe(32)

    def argv(port: int) -> list[str]:
        return [
            sys.executable, "-m", "archivist", "server", "--host", "127.0.0.1", "--port", str(port),
            "--db", f"sqlite:///{state_dir}/meta.sqlite", "--store", store_dir,
        ]  # fmt: skip

    env = dict(os.environ, ARCHIVIST_ADMIN_KEY=admin_key)
    env.pop("ARCHIVIST_BASE_URL", None)
    try:
        with serve(argv, env, os.path.join(state_dir, "server.log")) as url:
            client = _client_env(cache_dir)
            client.update(ARCHIVIST_BASE_URL=url, ARCHIVIST_API_KEY=_team_member_key(url, admin_key))
            yield Target(client, state_dir, f"server at {url} (SQLite + folder store in {state_dir})")
    except StartFailed as exc:
        raise ServerUnavailable(f"server not available: {exc}") from None


def _team_member_key(url: str, admin_key: str) -> str:
    """The key of a new ordinary user: the operations run as a team's users do, with every
    blob answer scoped to what they may read (an administrator's would skip that)."""
    import httpx

    answer = httpx.post(
        f"{url}/api/v1/admin/users/create",
        json={"name": "bench"},
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["key"]["key"])
