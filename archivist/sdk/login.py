"""``archivist.login()``: W&B's ``wandb.login``, storing what ``archivist login`` stores.

The server is ``host``, else ARCHIVIST_BASE_URL / WANDB_BASE_URL, else the last one
logged in to. With none of them there is no server to log in to: the embedded store
needs no key, and ``login()`` says so and returns True. A key passed (or typed at
the prompt) is checked against the server and saved in the login file; a key already
known (the environment's, or the one saved for that server) is used as it is,
unless ``relogin=True`` asks for a new one.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from archivist.client.credentials import credentials_path, load_credentials
from archivist.core.errors import UsageError
from archivist.core.settings import Settings
from archivist.sdk.context import forget_contexts
from archivist.sdk.termlog import termlog


def login(
    key: str | None = None,
    host: str | None = None,
    relogin: bool | None = None,
    anonymous: str | None = None,
    timeout: int | None = None,
    verify: bool = False,
    force: bool | None = None,
    **_ignored: Any,
) -> bool:
    """Log in to the server ``host`` (W&B's arguments; ``anonymous``/``timeout``/``force``
    have no meaning here). Returns True once a key for that server is known."""
    settings = Settings.from_env()
    config_dir = settings.config_dir
    assert config_dir is not None
    saved = load_credentials(credentials_path(config_dir))
    base_url = host or settings.base_url or saved.base_url
    if base_url is None:
        if key is not None:
            raise UsageError(
                "login(key=...) needs a server: pass host='http://...' or set ARCHIVIST_BASE_URL "
                "(or WANDB_BASE_URL); without one Archivist uses the embedded store, which needs no key"
            )
        termlog(f"no server chosen: using the embedded store in {settings.home}, which needs no login")
        return True
    if key is None and not relogin:
        known = settings.api_key or saved.key_for(base_url)
        if known is not None:
            if verify:
                from archivist.client.login import key_owner

                key_owner(base_url, known)
            return True
    if key is None:
        key = _prompt_for_key(base_url)
    _log_in(config_dir, base_url, key)
    return True


def _log_in(config_dir: str, base_url: str, key: str) -> None:
    from archivist.client.login import log_in

    done = log_in(config_dir, base_url, key)
    forget_contexts()  # the next init/Api opens the server just logged in to
    termlog(f"Logged in to {done.base_url} as {done.user!r}; the key is saved in {done.path}.")


def _prompt_for_key(base_url: str) -> str:
    if not sys.stdin.isatty():
        raise UsageError(
            f"no API key for {base_url}: pass login(key=...), set ARCHIVIST_API_KEY (or WANDB_API_KEY), "
            f"or run 'archivist login {base_url}'"
        )
    return getpass.getpass(f"API key for {base_url}: ")
