"""What a server process needs to know, built once at the edge (the CLI or a test)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ServerConfig:
    db_url: str
    """SQLAlchemy URL of the metadata database: ``sqlite:///path`` or ``postgresql://...``."""
    store_url: str
    """Where blobs live: a local folder (or ``s3://``, ``gs://``, ``az://`` once object stores exist)."""
    admin_key: str | None = None
    """ARCHIVIST_ADMIN_KEY: the administrator's key; None creates an admin with a fresh key."""

    @classmethod
    def from_env(cls, db_url: str, store_url: str, environ: Mapping[str, str] | None = None) -> ServerConfig:
        env = os.environ if environ is None else environ
        return cls(db_url=db_url, store_url=store_url, admin_key=env.get("ARCHIVIST_ADMIN_KEY") or None)


def shown_db_url(db_url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:
        return "(an unparsable database URL)"
