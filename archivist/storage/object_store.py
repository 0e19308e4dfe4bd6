"""ObjectBlobStore: blobs in S3, GCS or Azure (or a folder, via ``file://``) through obstore.

Keys, under the prefix of the store URL (``s3://bucket/prefix``):

    blobs/<2 hex>/<62 hex>            verified blobs, named by their BLAKE3 digest
    incoming/<upload id>/<digest>     bytes a client sent through a presigned URL, not yet verified

Nothing ever appears at a ``blobs/`` key unless its bytes hash to its name:

- ``put_bytes`` hashes before its single PUT;
- ``put_file`` hashes while it streams a multipart upload and raises from inside
  the byte stream when the digest does not match, which makes obstore abort the
  upload (an object becomes visible only when its upload completes);
- client uploads land under ``incoming/`` and ``promote_staged`` hashes them
  (reading from the store, server to store) before a server-side copy.

Credentials and endpoints come from the standard variables each cloud's SDKs
read (``AWS_*`` including ``AWS_ENDPOINT_URL`` and ``AWS_ALLOW_HTTP`` for an
S3-compatible store over http; ``GOOGLE_*``; ``AZURE_*``), as obstore reads them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import blake3

from archivist.core.errors import (
    BlobNotFoundError,
    FileChangedError,
    IntegrityError,
    InvalidInputError,
    NotSupportedError,
    StorageError,
)
from archivist.core.manifest import is_blob_digest
from archivist.core.progress import Progress
from archivist.core.transfers import MAX_SINGLE_PUT_SIZE, MIN_PART_SIZE, CleanupReport, validate_upload_id
from archivist.storage import OBJECT_STORE_SCHEMES, batches, blob_reads, staged_uploads
from archivist.storage.base import BlobRead
from archivist.storage.loose import (
    check_read_digest,
    open_for_reading,
    require_blob_digest,
    require_blob_digests,
)
from archivist.storage.object_reader import READ_CHUNK_BYTES, open_stream
from archivist.storage.s3_multipart import COPY_PART_BYTES, S3Multipart
from archivist.storage.spooled_upload import SpooledUpload
from archivist.storage.staged_uploads import INCOMING, parse_staging_key
from archivist.storage.whole_blobs import certainly_damaged

SIGNING_SCHEMES = frozenset(OBJECT_STORE_SCHEMES)
INSTALL_HINT = "pip install 'archivist[objectstore]' (or: pip install obstore)"
BLOBS = "blobs/"
LIST_PAGE = 1000
LISTING_BUDGET_PER_DIGEST = 100
"""``missing`` lists ``blobs/`` instead of sending one HEAD per digest when the
listing stays under this many objects per digest asked (1 LIST page ~ 1,000 keys,
so at worst a tenth of the requests the HEADs would cost)."""
LISTING_MIN_DIGESTS = 64


def _obstore() -> Any:
    try:
        import obstore
    except ImportError:
        raise NotSupportedError(
            f"object-store URLs (s3://, gs://, az://) need obstore: {INSTALL_HINT}"
        ) from None
    return obstore


@contextlib.contextmanager
def _store_errors(action: str) -> Iterator[None]:
    """obstore failures other than 'not found' become ``StorageError`` naming the action."""
    import obstore.exceptions as failures

    try:
        yield
    except (FileNotFoundError, failures.NotFoundError):
        raise
    except failures.BaseError as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise StorageError(f"{action} failed: {first_line}") from None


class ObjectBlobStore:
    """The BlobStore protocol over an object store, plus presigned, verified client transfers."""

    def __init__(
        self,
        url: str,
        *,
        put_concurrency: int = 4,
        head_concurrency: int = 32,
        server_copy_limit: int = MAX_SINGLE_PUT_SIZE,
        label: str | None = None,
    ) -> None:
        """``put_concurrency`` parts of ``MIN_PART_SIZE`` are in flight per ``put_file``
        (its memory bound); ``server_copy_limit`` is the largest object promoted with one
        ``CopyObject`` (S3 allows 5 GiB; larger ones are copied in parts). ``label`` names
        the store in messages."""
        self.url = url
        self.label = label or f"the object store {url}"
        self.scheme = _scheme_of(url)
        obstore = _obstore()
        from obstore.store import LocalStore, from_url

        with _store_errors(f"opening {url}"):
            if self.scheme == "file":
                self._store = LocalStore.from_url(url, mkdir=True)
            else:
                self._store = from_url(url)
        self._obstore = obstore
        self._put_concurrency = put_concurrency
        self._head_concurrency = head_concurrency
        self.server_copy_limit = server_copy_limit
        self._multipart: S3Multipart | None = None

    def __repr__(self) -> str:
        return f"ObjectBlobStore({self.url!r})"

    # --- keys --------------------------------------------------------------------------------
    @staticmethod
    def blob_key(digest: str) -> str:
        require_blob_digest(digest)
        return f"{BLOBS}{digest[:2]}/{digest[2:]}"

    @staticmethod
    def staging_key(upload_id: str, digest: str) -> str:
        """Where a client's upload ``upload_id`` of blob ``digest`` lands before verification."""
        return f"{INCOMING}{validate_upload_id(upload_id)}/{require_blob_digest(digest)}"

    def _size_of(self, key: str) -> int | None:
        try:
            with _store_errors(f"reading the size of {key} in {self.url}"):
                return int(self._obstore.head(self._store, key)["size"])
        except FileNotFoundError:
            return None

    # --- the BlobStore protocol --------------------------------------------------------------
    def missing(self, digests: Iterable[str], sizes: Mapping[str, int] | None = None) -> set[str]:
        wanted = require_blob_digests(digests)
        expected = sizes or {}
        found = self._stored_sizes(wanted)
        return {digest for digest in wanted if not _whole(digest, found.get(digest), expected.get(digest))}

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        found = self._stored_sizes(require_blob_digests(digests))
        return {digest: size for digest, size in found.items() if _whole(digest, size, None)}

    def _stored_sizes(self, wanted: Sequence[str]) -> Mapping[str, int]:
        """The size of every stored object among ``wanted``: one listing for many digests,
        else a HEAD each, a few at once."""
        if not wanted:
            return {}
        found: Mapping[str, int] | None = None
        if len(wanted) >= LISTING_MIN_DIGESTS:
            found = self._sizes_by_listing(set(wanted), budget=len(wanted) * LISTING_BUDGET_PER_DIGEST)
        if found is None:
            with ThreadPoolExecutor(max_workers=min(self._head_concurrency, len(wanted))) as pool:
                heads = pool.map(lambda digest: self._size_of(self.blob_key(digest)), wanted)
                found = {digest: size for digest, size in zip(wanted, heads, strict=True) if size is not None}
        return found

    def _sizes_by_listing(self, wanted: set[str], budget: int) -> dict[str, int] | None:
        """The size of each wanted blob found by listing ``blobs/``; None if the listing
        outgrows ``budget``."""
        present: dict[str, int] = {}
        for seen, (digest, size) in enumerate(self._listed_sizes(), start=1):
            if seen > budget:
                return None
            if digest in wanted:
                present[digest] = size
        return present

    def put_file(self, digest: str, path: str) -> int:
        key = self.blob_key(digest)
        existing = self._size_of(key)
        if existing is not None and _whole(digest, existing, _file_size(path)):
            return existing
        try:
            return self._upload_file(key, digest, path)
        except FileChangedError:
            if existing is None or certainly_damaged(digest, existing):
                raise
            return existing  # the file changed, so its size proves nothing: the stored copy stays

    def _upload_file(self, key: str, digest: str, path: str) -> int:
        with os.fdopen(open_for_reading(path), "rb", buffering=0) as source:
            first = source.read(MIN_PART_SIZE)
            more = source.read(READ_CHUNK_BYTES) if len(first) == MIN_PART_SIZE else b""
            if not more:  # the whole file is in memory: check it, then one atomic PUT
                check_read_digest(path, digest, blake3.blake3(first).hexdigest())
                self._put(key, first)
                return len(first)
            return self._put_streaming(key, digest, path, source, first, more)

    def _put_streaming(self, key: str, digest: str, path: str, source: Any, first: bytes, more: bytes) -> int:
        hasher = blake3.blake3(first)
        hasher.update(more)
        size = len(first) + len(more)

        def chunks() -> Iterator[bytes]:
            nonlocal size
            yield first
            yield more
            while chunk := source.read(READ_CHUNK_BYTES):
                hasher.update(chunk)
                size += len(chunk)
                yield chunk
            # Raised before the stream ends, so obstore aborts the upload: nothing is stored.
            check_read_digest(path, digest, hasher.hexdigest())

        with _store_errors(f"storing {path} as {key} in {self.url}"):
            self._obstore.put(
                self._store,
                key,
                chunks(),
                chunk_size=MIN_PART_SIZE,
                max_concurrency=self._put_concurrency,
            )
        return size

    def put_bytes(self, digest: str, data: bytes) -> None:
        key = self.blob_key(digest)
        actual = blake3.blake3(data).hexdigest()
        if actual != digest:
            raise IntegrityError(
                f"bytes hash to blake3 {actual[:12]}..., not {digest[:12]}...; nothing was stored"
            )
        if len(data) > READ_CHUNK_BYTES and self._size_of(key) == len(data):
            return  # held whole (a smaller blob is put again: one request either way)
        self._put(key, data)

    def put_files(
        self,
        items: Sequence[tuple[str, str]],
        progress: Progress | None = None,
        held: Mapping[str, bytes] | None = None,
    ) -> None:
        batches.put_files_one_by_one(self, items, progress, held)

    def put_bytes_many(self, items: Sequence[tuple[str, bytes]], progress: Progress | None = None) -> None:
        batches.put_bytes_one_by_one(self, items, progress)

    def copy_to(
        self, items: Sequence[tuple[str, str]], link: bool = False, progress: Progress | None = None
    ) -> None:
        """Stream each blob to its new destination file (``link`` has no meaning here)."""
        batches.copy_one_by_one(self, items, progress)

    def _put(self, key: str, data: bytes) -> None:
        with _store_errors(f"storing {key} in {self.url}"):
            self._obstore.put(self._store, key, data, use_multipart=len(data) > MIN_PART_SIZE)

    def open(self, digest: str) -> BinaryIO:
        return self.open_sized(digest)[0]

    def open_sized(self, digest: str) -> tuple[BinaryIO, int]:
        """A streaming reader of the blob (one GET) and its size, as the store lists it."""
        return self._open_key(self.blob_key(digest), f"blob {digest} is not in the store at {self.url}")

    def _open_key(self, key: str, absent_message: str) -> tuple[BinaryIO, int]:
        try:
            with _store_errors(f"reading {key} from {self.url}"):
                result = self._obstore.get(self._store, key)
        except FileNotFoundError:
            raise BlobNotFoundError(absent_message) from None
        size = int(result.meta["size"])
        return open_stream(iter(result.stream(min_chunk_size=READ_CHUNK_BYTES)), size), size

    def read_many(self, digests: Sequence[str]) -> Iterator[BlobRead]:
        """One GET after another, in the order asked (presence checked first by ``missing``)."""
        return blob_reads.read_many_one_by_one(self, digests)

    def open_upload(self, digest: str, size: int | None = None) -> SpooledUpload:
        """Spooled to a temp file, hashed, then stored with ``put_file`` (``spooled_upload``)."""
        require_blob_digest(digest)
        return SpooledUpload(self, digest)

    def open_splice_upload(self, digest: str) -> None:
        """None: an object has no file the kernel could move socket bytes into."""
        return None

    def local_path(self, digest: str) -> str | None:
        require_blob_digest(digest)
        return None

    def delete(self, digest: str) -> None:
        self._delete_key(self.blob_key(digest))

    def _delete_key(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError), _store_errors(f"deleting {key} from {self.url}"):
            self._obstore.delete(self._store, key)

    def delete_many(self, digests: Iterable[str]) -> None:
        for digest in require_blob_digests(digests):
            self.delete(digest)

    def iter_digests(self) -> Iterator[str]:
        return (digest for digest, _size in self._listed_sizes())

    def blob_times(self, digests: Iterable[str]) -> dict[str, float]:
        """None known: an object's time is when it was last copied, not when it was first written."""
        require_blob_digests(digests)
        return {}

    def compact_packs(self) -> int:
        """0: an object store holds no packs."""
        return 0

    def cleanup_temp(self, older_than_seconds: float) -> int:
        """0: an object store keeps no temp files (unfinished uploads: ``clean_stale_uploads``)."""
        return 0

    def clean_stale_uploads(self, older_than_seconds: float, now: float | None = None) -> CleanupReport:
        """Abort open multipart uploads and delete staged objects begun before the cutoff."""
        return staged_uploads.clean_stale_uploads(self, older_than_seconds, now)

    def free_bytes(self) -> None:
        """None: an object store's space is not a local disk's."""
        return None

    def blob_sizes(self) -> Iterator[tuple[str, int]]:
        """``(digest, size)`` of every blob stored (one listing; for ``fsck``)."""
        return self._listed_sizes()

    def _listed_sizes(self) -> Iterator[tuple[str, int]]:
        for entry in self._list(BLOBS):
            digest = entry["path"][len(BLOBS) :].replace("/", "", 1)
            if is_blob_digest(digest):
                yield digest, int(entry["size"])

    def _list(self, prefix: str) -> Iterator[Mapping[str, Any]]:
        with _store_errors(f"listing {prefix} in {self.url}"):
            for page in self._obstore.list(self._store, prefix=prefix, chunk_size=LIST_PAGE):
                yield from page

    # --- presigned transfers -----------------------------------------------------------------
    def presigned_access(self) -> ObjectBlobStore | None:
        """This store, when it can presign URLs (s3, gs, az); None for a ``file://`` one."""
        return self if self.can_presign else None

    @property
    def can_presign(self) -> bool:
        """Whether clients can move bytes straight to the store (else they go via the server)."""
        return self.scheme in SIGNING_SCHEMES

    @property
    def supports_multipart(self) -> bool:
        """Whether uploads can be split into presigned parts (S3 only)."""
        return self.scheme == "s3"

    @property
    def upload_headers(self) -> dict[str, str]:
        """Headers every presigned PUT must send."""
        return {"x-ms-blob-type": "BlockBlob"} if self.scheme == "az" else {}

    def presign_upload(self, key: str, expires_in: int) -> str:
        """A PUT URL for a staging key (only ``incoming/`` keys are ever signed for writing)."""
        if not key.startswith(INCOMING):
            raise InvalidInputError(f"refusing to presign an upload to {key!r}: only {INCOMING} keys")
        return self._sign("PUT", key, expires_in)

    def presign_download(self, digest: str, expires_in: int) -> str:
        return self._sign("GET", self.blob_key(digest), expires_in)

    def _sign(self, method: str, key: str, expires_in: int) -> str:
        if not self.can_presign:
            raise NotSupportedError(
                f"{self.url} cannot presign URLs: only {', '.join(OBJECT_STORE_SCHEMES)} stores can"
            )
        with _store_errors(f"presigning {method} {key} in {self.url}"):
            return str(self._obstore.sign(self._store, method, key, timedelta(seconds=expires_in)))

    @property
    def multipart(self) -> S3Multipart:
        """Presigned multipart uploads (boto3; see ``s3_multipart``)."""
        if not self.supports_multipart:
            raise NotSupportedError(f"{self.url} has no presigned multipart uploads: only s3:// stores do")
        if self._multipart is None:
            self._multipart = S3Multipart(self._store.config["bucket"], self._store.prefix)
        return self._multipart

    # --- staged client uploads ---------------------------------------------------------------
    def promote_staged(self, upload_id: str, digest: str) -> int:
        """Hash the staged upload; if it matches, move it to its blob key and return its size.

        A mismatch deletes the staged object and raises ``IntegrityError`` naming the digest;
        a missing one raises ``BlobNotFoundError``.
        """
        staged = self.staging_key(upload_id, digest)
        size, actual = self._hash_key(staged, digest, upload_id)
        if actual != digest:
            self._delete_key(staged)
            raise IntegrityError(
                f"upload {upload_id} of blob {digest} was rejected: its bytes hash to blake3 "
                f"{actual}; the staged copy was deleted and nothing was stored"
            )
        key = self.blob_key(digest)
        if self._size_of(key) != size:  # absent, or damaged: the verified upload replaces it
            self._copy(staged, key, size)
        self._delete_key(staged)
        return size

    def _hash_key(self, key: str, digest: str, upload_id: str) -> tuple[int, str]:
        hasher = blake3.blake3()
        size = 0
        absent = f"upload {upload_id} of blob {digest} has no bytes in the store: send them before completing"
        with self._open_key(key, absent)[0] as reader:
            while chunk := reader.read(READ_CHUNK_BYTES):
                hasher.update(chunk)
                size += len(chunk)
        return size, hasher.hexdigest()

    def _copy(self, source: str, dest: str, size: int) -> None:
        if size > self.server_copy_limit and self.supports_multipart:
            self.multipart.copy(source, dest, part_size=min(COPY_PART_BYTES, self.server_copy_limit))
            return
        with _store_errors(f"copying {source} to {dest} in {self.url}"):
            self._obstore.copy(self._store, source, dest)

    def delete_staged(self, upload_id: str, digest: str) -> None:
        self._delete_key(self.staging_key(upload_id, digest))

    def iter_staged(self) -> Iterator[tuple[str, str]]:
        """``(upload id, digest)`` of every staged object (completed uploads awaiting promotion)."""
        for entry in self._list(INCOMING):
            parsed = parse_staging_key(entry["path"])
            if parsed is not None:
                yield parsed


def _whole(digest: str, size: int | None, expected: int | None) -> bool:
    """Whether a blob found with ``size`` (None: absent) counts as held: not certainly damaged,
    and of the ``expected`` size when that is known."""
    if size is None or certainly_damaged(digest, size):
        return False
    return expected is None or size == expected


def _file_size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None


def _scheme_of(url: str) -> str:
    allowed = "s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or file:///path"
    if not isinstance(url, str) or "://" not in url:
        raise InvalidInputError(f"invalid object store URL {url!r}: use {allowed}")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in (*OBJECT_STORE_SCHEMES, "file"):
        raise InvalidInputError(f"unsupported object store URL {url!r}: use {allowed}")
    if scheme != "file" and not parts.netloc:
        raise InvalidInputError(f"object store URL {url!r} names no bucket: use {allowed}")
    return scheme
