"""What a server process needs to know, built once at the edge (the CLI or a test)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from archivist.core.errors import InvalidInputError
from archivist.core.settings import DEFAULT_SPACE_RESERVE_BYTES
from archivist.core.sizes import parse_size
from archivist.core.transfers import TransferPolicy


@dataclass(frozen=True)
class ServerConfig:
    db_url: str
    """SQLAlchemy URL of the metadata database: ``sqlite:///path`` or ``postgresql://...``."""
    store_url: str
    """Where blobs live: a local folder (or ``s3://``, ``gs://``, ``az://`` once object stores exist)."""
    admin_key: str | None = None
    """ARCHIVIST_ADMIN_KEY: the administrator's key; None creates an admin with a fresh key."""
    transfer_policy: TransferPolicy = field(default_factory=TransferPolicy)
    """How direct uploads to an object store are split (ARCHIVIST_MULTIPART_THRESHOLD,
    ARCHIVIST_MULTIPART_PART_SIZE: sizes such as ``64MiB``)."""
    blob_host: str = "127.0.0.1"
    """Where the blob listener listens: the API's own interface."""
    blob_port: int | None = 0
    """The blob listener's port (ARCHIVIST_BLOB_PORT): 0 picks a free one, None runs no
    listener (every blob then goes through the API)."""
    space_reserve: int = DEFAULT_SPACE_RESERVE_BYTES
    """Bytes a folder store keeps free for freeing space (ARCHIVIST_SPACE_RESERVE)."""

    @classmethod
    def from_env(cls, db_url: str, store_url: str, environ: Mapping[str, str] | None = None) -> ServerConfig:
        env = os.environ if environ is None else environ
        return cls(
            db_url=db_url,
            store_url=store_url,
            admin_key=env.get("ARCHIVIST_ADMIN_KEY") or None,
            transfer_policy=transfer_policy_from_env(env),
            blob_port=blob_port_from_text(env.get("ARCHIVIST_BLOB_PORT") or "0", "ARCHIVIST_BLOB_PORT"),
            space_reserve=_size_variable(env, "ARCHIVIST_SPACE_RESERVE", DEFAULT_SPACE_RESERVE_BYTES),
        )


def blob_port_from_text(raw: str, name: str) -> int | None:
    """A port number, 0 (any free port) or ``off`` (no blob listener)."""
    text = raw.strip().lower()
    if text == "off":
        return None
    if text.isdigit() and int(text) <= 65535:
        return int(text)
    raise InvalidInputError(f"invalid {name} {raw!r}: use a port number (0: any free port) or 'off'")


def transfer_policy_from_env(env: Mapping[str, str]) -> TransferPolicy:
    """The default policy, with the sizes the environment sets."""
    default = TransferPolicy()
    part_size = _size_variable(env, "ARCHIVIST_MULTIPART_PART_SIZE", default.min_part_size)
    default_threshold = max(default.multipart_threshold, part_size)
    threshold = _size_variable(env, "ARCHIVIST_MULTIPART_THRESHOLD", default_threshold)
    return TransferPolicy(multipart_threshold=threshold, min_part_size=part_size)


def _size_variable(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return parse_size(raw)
    except (InvalidInputError, ValueError):
        raise InvalidInputError(f"invalid {name} {raw!r}: use a size such as 64MiB or 67108864") from None


def shown_db_url(db_url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:
        return "(an unparsable database URL)"
