"""What a server process needs to know, built once at the edge (the CLI or a test)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from archivist.core.collector import DEFAULT_GRACE_SECONDS, parse_duration
from archivist.core.delivery_rate import DEFAULT_RATE, DeliveryRate, rate_from_text
from archivist.core.errors import InvalidInputError
from archivist.core.settings import DEFAULT_SPACE_RESERVE_BYTES
from archivist.core.sizes import parse_size
from archivist.core.transfers import TransferPolicy

DEFAULT_UPLOAD_QUOTA = 100 << 30
"""100 GiB of uploads per user not yet referenced by a commit (the largest version they may
log at once)."""
DEFAULT_MAX_REQUEST_BYTES = 64 << 20
"""A JSON request body larger than this is refused with 413 (a commit names its files in
a manifest blob, so even a commit of millions of files stays small)."""


DEFAULT_GC_INTERVAL_SECONDS = 3600.0


@dataclass(frozen=True)
class ListenerLimits:
    """What the blob listener holds at once, and for how long.

    A connection first has ``head_seconds`` to send its request head, among at most
    ``waiting`` such connections, ``waiting_per_address`` of them from one client address
    (past either bound the one waiting longest -- from that address -- is dropped for the
    newcomer, so slow connections only ever push out each other). Only a request
    whose head carries a valid ticket takes one of the ``uploads`` slots (at most
    ``uploads_per_user`` of them per user the tickets were given to), and then has
    ``upload_seconds(size)`` in all: its size at ``min_rate``, never less than
    ``min_seconds``. Within that, it may fall silent for ``idle_seconds`` at most.
    """

    uploads: int = 16
    uploads_per_user: int = 4
    """A client sends up to 4 blobs at once (``TRANSFER_THREADS``)."""
    waiting: int = 64
    waiting_per_address: int = 8
    head_seconds: float = 10.0
    min_rate: int = 64 << 10
    """Bytes per second: a 1 GiB upload may take 4.5 hours, an 8 MiB one ``min_seconds``."""
    min_seconds: float = 60.0
    idle_seconds: float = 60.0

    def upload_seconds(self, size: int) -> float:
        return max(self.min_seconds, size / self.min_rate)


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
    upload_quota: int | None = DEFAULT_UPLOAD_QUOTA
    """ARCHIVIST_UPLOAD_QUOTA: the bytes a user may have uploaded that no commit of theirs
    references yet (server administrators are not bounded); None: no bound."""
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    """ARCHIVIST_MAX_REQUEST_BYTES: the largest JSON request body (blob uploads are bounded
    by their size and the upload quota instead)."""
    blob_limits: ListenerLimits = field(default_factory=ListenerLimits)
    """ARCHIVIST_BLOB_HEAD_SECONDS (time to send a request head) and ARCHIVIST_BLOB_MIN_RATE
    (the slowest average upload rate allowed, a size such as ``64KiB``, per second)."""
    space_reserve: int = DEFAULT_SPACE_RESERVE_BYTES
    """Bytes a folder store keeps free for freeing space (ARCHIVIST_SPACE_RESERVE)."""
    gc_interval: float | None = DEFAULT_GC_INTERVAL_SECONDS
    """ARCHIVIST_GC_INTERVAL: seconds between the collector's runs (``1h``, ``off``: None)."""
    gc_grace: float = DEFAULT_GRACE_SECONDS
    """ARCHIVIST_GC_GRACE: how long a deleted version stays restorable before it is purged."""
    allow_private_webhooks: bool = False
    """``--allow-private-webhooks`` (ARCHIVIST_ALLOW_PRIVATE_WEBHOOKS=1): webhooks may send to
    loopback, link-local and private addresses (by default only public ones)."""
    webhook_allow: tuple[str, ...] = ()
    """ARCHIVIST_WEBHOOK_ALLOW: host names and networks (``10.1.0.0/16``) webhooks may send to
    although they are private."""
    delivery_backoff_seconds: float = 1.0
    """ARCHIVIST_DELIVERY_BACKOFF: the first retry's wait (it doubles with each attempt)."""
    delivery_lease_seconds: float = 60.0
    """ARCHIVIST_DELIVERY_LEASE: how long a claimed delivery is this process's alone."""
    automation_rate: DeliveryRate | None = DEFAULT_RATE
    """``--automation-rate`` (ARCHIVIST_AUTOMATION_RATE, ``60/min``, ``off``): attempts one
    automation may make per window; those over it wait."""

    @classmethod
    def from_env(cls, db_url: str, store_url: str, environ: Mapping[str, str] | None = None) -> ServerConfig:
        env = os.environ if environ is None else environ
        return cls(
            db_url=db_url,
            store_url=store_url,
            admin_key=env.get("ARCHIVIST_ADMIN_KEY") or None,
            transfer_policy=transfer_policy_from_env(env),
            blob_port=blob_port_from_text(env.get("ARCHIVIST_BLOB_PORT") or "0", "ARCHIVIST_BLOB_PORT"),
            upload_quota=quota_from_text(env.get("ARCHIVIST_UPLOAD_QUOTA"), "ARCHIVIST_UPLOAD_QUOTA"),
            max_request_bytes=_size_variable(env, "ARCHIVIST_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES),
            blob_limits=listener_limits_from_env(env),
            space_reserve=_size_variable(env, "ARCHIVIST_SPACE_RESERVE", DEFAULT_SPACE_RESERVE_BYTES),
            gc_interval=gc_interval_from_text(
                env.get("ARCHIVIST_GC_INTERVAL") or "1h", "ARCHIVIST_GC_INTERVAL"
            ),
            gc_grace=gc_grace_from_text(env.get("ARCHIVIST_GC_GRACE") or "7d", "ARCHIVIST_GC_GRACE"),
            allow_private_webhooks=(env.get("ARCHIVIST_ALLOW_PRIVATE_WEBHOOKS") or "").lower()
            in ("1", "true", "yes"),
            webhook_allow=tuple(
                p.strip() for p in (env.get("ARCHIVIST_WEBHOOK_ALLOW") or "").split(",") if p.strip()
            ),
            delivery_backoff_seconds=_seconds(env, "ARCHIVIST_DELIVERY_BACKOFF", 1.0),
            delivery_lease_seconds=_seconds(env, "ARCHIVIST_DELIVERY_LEASE", 60.0),
            automation_rate=rate_from_text(
                env.get("ARCHIVIST_AUTOMATION_RATE") or "60/min", "ARCHIVIST_AUTOMATION_RATE"
            ),
        )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.01 <= value <= 86400:
        raise InvalidInputError(f"invalid {name} {raw!r}: use a number of seconds from 0.01 to 86400")
    return value


def quota_from_text(raw: str | None, name: str) -> int | None:
    """A size (``50GiB``), ``off`` (no quota), or the default when unset."""
    if raw is None or not raw.strip():
        return DEFAULT_UPLOAD_QUOTA
    if raw.strip().lower() == "off":
        return None
    return _size_variable({name: raw}, name, DEFAULT_UPLOAD_QUOTA)


def listener_limits_from_env(env: Mapping[str, str]) -> ListenerLimits:
    default = ListenerLimits()
    head_seconds = default.head_seconds
    raw = env.get("ARCHIVIST_BLOB_HEAD_SECONDS")
    if raw:
        try:
            head_seconds = float(raw)
        except ValueError:
            head_seconds = -1.0
        if not 0.1 <= head_seconds <= 3600:
            raise InvalidInputError(
                f"invalid ARCHIVIST_BLOB_HEAD_SECONDS {raw!r}: use a number of seconds from 0.1 to 3600"
            )
    min_rate = _size_variable(env, "ARCHIVIST_BLOB_MIN_RATE", default.min_rate)
    if min_rate <= 0:
        raise InvalidInputError("invalid ARCHIVIST_BLOB_MIN_RATE 0: use a size per second such as 64KiB")
    return ListenerLimits(head_seconds=head_seconds, min_rate=min_rate)


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


def require_database_folder(db_url: str) -> None:
    """Refuse a SQLite database whose folder is missing: a server starting on an empty new
    database because of a mistyped path would look like a server that lost its data."""
    if not db_url.lower().startswith("sqlite:"):
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        database = make_url(db_url).database
    except ArgumentError:  # the engine says what is wrong with the URL
        return
    if not database or database == ":memory:":
        return
    folder = os.path.dirname(os.path.abspath(database))
    if not os.path.isdir(folder):
        raise InvalidInputError(
            f"the database folder {folder} does not exist: create it first, "
            "or give --db the path of an existing database or of a new one in an existing folder"
        )


def shown_db_url(db_url: str) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:
        return "(an unparsable database URL)"


def gc_interval_from_text(text: str, where: str) -> float | None:
    """A duration (``1h``, ``30m``) or ``off`` (None: the server runs no collector)."""
    if text.strip().lower() == "off":
        return None
    seconds = _duration(text, where)
    if seconds <= 0:
        raise InvalidInputError(f"invalid {where} {text!r}: use a duration above 0 such as '1h', or 'off'")
    return seconds


def gc_grace_from_text(text: str, where: str) -> float:
    return _duration(text, where)


def _duration(text: str, where: str) -> float:
    try:
        return parse_duration(text)
    except InvalidInputError as error:
        raise InvalidInputError(f"{where}: {error.message}") from None
