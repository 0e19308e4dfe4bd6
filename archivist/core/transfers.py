"""Records of direct (presigned) blob transfers between a client and an object store.

The server plans a transfer, the client moves the bytes straight to or from the
store, and the server verifies what arrived before anyone can reuse it:

1. ``plan_uploads([UploadRequest])`` -> one ``UploadTarget`` per request:
   ``stored`` (nothing to send), ``via_server`` (send the bytes to the API server,
   the folder-store path), ``put`` (one presigned PUT) or ``multipart`` (one
   presigned PUT per part, parts in parallel). Bytes always land at a staging key.
2. The client sends the bytes and reports an ``UploadCompletion`` per target.
3. ``complete_uploads([UploadCompletion])`` hashes each staged object and only
   then promotes it to its content-addressed key.

A multipart upload interrupted midway is resumed by sending its ``ResumeToken``
in the next ``UploadRequest``: the new target lists the parts already stored
(``uploaded``) and presigns only the rest.

Everything here is plain values and pure code, so it crosses the wire with
``to_json``/``from_json`` and is tested without fixtures.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from archivist.core.errors import InvalidInputError

MIB = 1024 * 1024
MIN_PART_SIZE = 8 * MIB
"""Smallest part of a multipart upload (S3 needs >= 5 MiB for every part but the last)."""
MAX_PARTS = 10_000
"""S3's limit on the parts of one multipart upload."""
MAX_SINGLE_PUT_SIZE = 5 * 1024 * MIB
"""S3's limit on one PUT; larger blobs must go multipart."""
DEFAULT_MULTIPART_THRESHOLD = 64 * MIB
DEFAULT_URL_EXPIRY_SECONDS = 3600
STREAM_MIN_BYTES = 8 * MIB
"""Blobs from this size go to the server's blob listener (``stream``); smaller ones are
sent many to a request through the API."""

UPLOAD_ID_PATTERN = re.compile(r"[0-9a-f]{8,12}-[0-9a-f]{32}")
"""``<creation time, hex unix seconds>-<128 random bits>``: unguessable, and its age is readable."""


LISTENER_ASK_HEADER = "X-Archivist-Listener"
"""Sent (``1``) with ``GET /blobs/{digest}`` by a client that follows a redirect (307) to the
server's blob listener, which sends a blob of ``STREAM_MIN_BYTES`` or more with ``sendfile``."""


class TransferMode(str, enum.Enum):
    STORED = "stored"
    """The store already holds the blob; nothing to send."""
    VIA_SERVER = "via_server"
    """The store cannot presign (a folder): send the bytes to the API server."""
    STREAM = "stream"
    """A large blob for a server that carries bytes itself: one plain PUT of the whole
    blob to ``url``, the server's blob listener, which verifies and stores it (no
    completion to report). Offered only to clients that ask for it."""
    PUT = "put"
    """One presigned PUT of the whole blob to ``url``."""
    MULTIPART = "multipart"
    """One presigned PUT per part; report every part's ETag in the completion."""
    GET = "get"
    """A download: one presigned GET of the whole blob from ``url``."""


@dataclass(frozen=True)
class TransferPolicy:
    """How the server splits uploads and how long its URLs live."""

    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD
    """Blobs larger than this go multipart (when the store supports it)."""
    min_part_size: int = MIN_PART_SIZE
    url_expiry_seconds: int = DEFAULT_URL_EXPIRY_SECONDS

    def __post_init__(self) -> None:
        if self.min_part_size < MIN_PART_SIZE:
            raise InvalidInputError(
                f"invalid min_part_size {self.min_part_size}: parts must be at least {MIN_PART_SIZE} bytes"
            )
        if self.multipart_threshold < self.min_part_size:
            raise InvalidInputError(
                f"invalid multipart_threshold {self.multipart_threshold}: "
                f"use at least the part size {self.min_part_size}"
            )
        if not 60 <= self.url_expiry_seconds <= 7 * 24 * 3600:
            raise InvalidInputError(
                f"invalid url_expiry_seconds {self.url_expiry_seconds}: use 60 s to 7 days"
            )

    def part_size_for(self, size: int) -> int:
        """The part size for a blob of ``size`` bytes: at least ``min_part_size``,
        whole MiBs, and few enough parts for S3's limit."""
        needed = math.ceil(size / MAX_PARTS)
        return max(self.min_part_size, math.ceil(needed / MIB) * MIB)


@dataclass(frozen=True)
class PartSpan:
    """Which bytes of the file one part carries (part numbers start at 1)."""

    part_number: int
    offset: int
    size: int


def split_into_parts(size: int, part_size: int) -> list[PartSpan]:
    """The parts of a blob of ``size`` bytes; every part is ``part_size`` but the last."""
    if part_size <= 0:
        raise InvalidInputError(f"invalid part size {part_size}: use a positive number of bytes")
    count = max(1, math.ceil(size / part_size))
    return [
        PartSpan(number + 1, number * part_size, min(part_size, size - number * part_size))
        for number in range(count)
    ]


def new_upload_id(now: float, random_hex: str) -> str:
    """An upload id from the creation time and 32 random hex digits."""
    return f"{int(now):08x}-{random_hex}"


def upload_id_created_at(upload_id: str) -> int:
    """The creation time (unix seconds) written into ``upload_id``."""
    return int(validate_upload_id(upload_id).split("-", 1)[0], 16)


def validate_upload_id(value: object) -> str:
    if not isinstance(value, str) or UPLOAD_ID_PATTERN.fullmatch(value) is None:
        raise InvalidInputError(
            f"invalid upload id {value!r}: expected the id the server returned in the upload plan "
            "(<hex time>-<32 hex>)"
        )
    return value


@dataclass(frozen=True)
class ResumeToken:
    """Names an interrupted multipart upload so that the next plan can resume it."""

    upload_id: str
    multipart_id: str


@dataclass(frozen=True)
class UploadRequest:
    digest: str
    size: int
    resume: ResumeToken | None = None


@dataclass(frozen=True)
class PartUrl:
    part_number: int
    offset: int
    size: int
    url: str


@dataclass(frozen=True)
class UploadedPart:
    part_number: int
    etag: str


@dataclass(frozen=True)
class UploadTarget:
    """Where and how the client sends one blob (see ``TransferMode``)."""

    digest: str
    size: int
    mode: TransferMode
    upload_id: str | None = None
    url: str | None = None
    """The presigned PUT URL (mode ``put``)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Headers every PUT must carry (e.g. Azure's ``x-ms-blob-type``)."""
    multipart_id: str | None = None
    part_size: int = 0
    parts: tuple[PartUrl, ...] = ()
    """The parts still to send, each with its presigned URL (mode ``multipart``)."""
    uploaded: tuple[UploadedPart, ...] = ()
    """Parts an earlier, interrupted attempt already stored (a resumed upload)."""
    expires_in: int = 0

    @property
    def resume_token(self) -> ResumeToken | None:
        if self.mode is TransferMode.MULTIPART and self.upload_id and self.multipart_id:
            return ResumeToken(self.upload_id, self.multipart_id)
        return None


@dataclass(frozen=True)
class UploadCompletion:
    """What the client reports after sending a ``put`` or ``multipart`` target's bytes."""

    digest: str
    upload_id: str
    multipart_id: str | None = None
    parts: tuple[UploadedPart, ...] = ()
    """Every part of a multipart upload (the resumed ones too), any order."""


@dataclass(frozen=True)
class DownloadTarget:
    digest: str
    mode: TransferMode
    """``get`` (a presigned GET in ``url``) or ``via_server`` (ask the API server for the bytes)."""
    url: str | None = None
    expires_in: int = 0


@dataclass(frozen=True)
class CleanupReport:
    aborted_uploads: int = 0
    """Open multipart uploads aborted (their parts are dropped by the store)."""
    deleted_staged: int = 0
    """Staged objects deleted (uploaded but never completed, or left by a crash)."""
    reclaimed_bytes: int = 0
    """Bytes of temp files removed from a folder store."""
