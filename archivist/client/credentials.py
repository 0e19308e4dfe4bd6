"""The login file: which server to use and its API key, saved by ``archivist login``.

It lives in ``Settings.config_dir``: ``$XDG_CONFIG_HOME/archivist/credentials.json``
(default ``~/.config/archivist/credentials.json``), readable by its owner only (0600):
``{"base_url": "...", "keys": {"<base_url>": "<api key>"}}``. The last server
logged in to is the default; ARCHIVIST_BASE_URL and ARCHIVIST_API_KEY override it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from archivist.core.errors import InvalidInputError

FILE_MODE = 0o600


def credentials_path(config_dir: str) -> str:
    """The login file in ``Settings.config_dir``."""
    return os.path.join(config_dir, "credentials.json")


@dataclass(frozen=True)
class Credentials:
    base_url: str | None
    keys: Mapping[str, str]

    def key_for(self, base_url: str) -> str | None:
        return self.keys.get(normalise_url(base_url))


def normalise_url(base_url: str) -> str:
    return base_url.rstrip("/")


def load_credentials(path: str) -> Credentials:
    """The saved login, or an empty one when there is no file."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return Credentials(base_url=None, keys={})
    except (OSError, ValueError) as error:
        raise InvalidInputError(
            f"cannot read the login file {path}: {error}; run 'archivist login' again"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("keys", {}), dict):
        raise InvalidInputError(f"the login file {path} is malformed; run 'archivist login' again")
    base_url = data.get("base_url")
    return Credentials(
        base_url=base_url if isinstance(base_url, str) else None, keys=dict(data.get("keys", {}))
    )


def save_login(path: str, base_url: str, api_key: str) -> None:
    """Remember ``api_key`` for ``base_url`` and make that server the default (file mode 0600)."""
    current = load_credentials(path)
    url = normalise_url(base_url)
    _write(path, {"base_url": url, "keys": {**current.keys, url: api_key}})


def forget_login(path: str, base_url: str) -> bool:
    """Forget the key saved for ``base_url`` (and that it is the default server); False when
    none was saved. The file is removed once it holds no key."""
    current = load_credentials(path)
    url = normalise_url(base_url)
    if url not in current.keys and current.base_url != url:
        return False
    keys = {saved: key for saved, key in current.keys.items() if saved != url}
    if not keys:
        os.unlink(path)
        return True
    _write(path, {"base_url": None if current.base_url == url else current.base_url, "keys": keys})
    return True


def _write(path: str, data: Mapping[str, object]) -> None:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    temp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
