"""The server's blob listener: large blob uploads on a plain socket of its own.

Why: the API's ASGI stack hands a request body to the app in 64-256 KiB pieces, each
a trip through the event loop; a 1 GiB upload kept the loop busy ~1.2 s on top of
hashing and writing. Here a thread per connection takes the body, as a presigning
object store would. Into a folder store the kernel moves it from the socket to the
blob's temp file (``splice``) while a second thread hashes what was written; into
other stores it is read in large pieces (``recv_into``), one stored on a second
thread while the next arrives.

One request per connection: ``PUT /blobs/<digest>?size=..&expires=..&signature=..``
with a ``Content-Length`` body, the URL being a ticket of the upload plan
(``archivist.server.blob_tickets``; no API key here). The bytes are verified
against the digest before the blob is stored (``archivist.server.bytes.SingleUpload``).
Answers are JSON: ``200 {"stored": digest}`` or ``{"error": {"code", "message"}}``
with the API's error codes (422 ``integrity`` when the bytes do not match).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from archivist.core.background_batches import BatchWorker
from archivist.core.blob_frames import MAX_BLOB_SIZE
from archivist.core.errors import ArchivistError, InvalidInputError
from archivist.core.plain_http import BadMessage, Head, read_head, response_bytes
from archivist.core.splice import CAN_SPLICE, SocketSplicer
from archivist.server.blob_tickets import BlobTickets, Ticket, TicketRefused
from archivist.server.bytes import SingleUpload
from archivist.server.request_log import log_request
from archivist.storage.base import BlobStore
from archivist.storage.local import LocalBlobStore
from archivist.storage.loose import LARGE_CHUNK_BYTES, BlobWriter

logger = logging.getLogger("archivist.server")
PIECE_BYTES = 4 << 20
PIECES_HELD = 3
"""One piece being received, one queued and one being stored."""
MAX_CONNECTIONS = 16
IDLE_SECONDS = 60.0
"""A connection that sends nothing for this long is dropped."""
ACCEPT_POLL_SECONDS = 0.5
_PATH = re.compile(r"/blobs/([0-9a-f]{64})")


@dataclass
class _Answer(Exception):
    """Ends a request early with this status and error."""

    status: int
    code: str
    message: str


class BlobListener:
    """``start`` it on a host and port; the upload plan hands out its URLs while it runs."""

    def __init__(
        self,
        store: BlobStore,
        tickets: BlobTickets,
        public_message: Callable[[str], str] | None = None,
        max_connections: int = MAX_CONNECTIONS,
        splice: bool = CAN_SPLICE,
    ) -> None:
        """``public_message``: what an answer may say of an error (the server's paths taken
        out). ``splice``: move bodies into a folder store inside the kernel (else ``recv``)."""
        self.store, self.tickets = store, tickets
        self.public_message = public_message or (lambda message: message)
        self.splice = splice and CAN_SPLICE
        self._slots = threading.BoundedSemaphore(max_connections)
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()

    @property
    def port(self) -> int | None:
        """The port it listens on; None when it is not running."""
        return None if self._socket is None else self._socket.getsockname()[1]

    def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: a free port the system picks); the port taken."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listening = socket.socket(family, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listening.bind((host, port))
            listening.listen(64)
        except OSError:
            listening.close()
            raise
        listening.settimeout(ACCEPT_POLL_SECONDS)
        self._socket = listening
        self._thread = threading.Thread(target=self._accept_all, name="archivist-blob-listener", daemon=True)
        self._thread.start()
        return listening.getsockname()[1]

    def close(self) -> None:
        """Stop taking connections (uploads in progress finish on their own threads)."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join()
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _accept_all(self) -> None:
        assert self._socket is not None
        while not self._closed.is_set():
            try:
                connection, _address = self._socket.accept()
            except TimeoutError:
                continue
            except OSError as error:
                logger.warning("blob listener: accept failed: %s", error)
                time.sleep(ACCEPT_POLL_SECONDS)
                continue
            if not self._slots.acquire(blocking=False):
                _answer_and_close(connection, 503, "busy", "too many uploads at once: try again")
                continue
            threading.Thread(
                target=self._serve, args=(connection,), name="archivist-blob-upload", daemon=True
            ).start()

    def _serve(self, connection: socket.socket) -> None:
        started = time.perf_counter()
        status, path, received, user = 400, "-", 0, None
        try:
            connection.settimeout(IDLE_SECONDS)
            head = read_head(connection)
            if head is None:
                return
            path = head.start_line.split(" ")[1] if " " in head.start_line else "-"
            ticket = self._admit(head, connection)
            user = ticket.user or None
            self._store(connection, head, ticket.digest, ticket.size)
            received, status = ticket.size, 200
            connection.sendall(response_bytes(200, json.dumps({"stored": ticket.digest}).encode()))
        except _Answer as answer:
            status = answer.status
            _answer_and_close(connection, answer.status, answer.code, answer.message)
        except BadMessage as error:
            _answer_and_close(connection, 400, InvalidInputError.code, f"malformed request: {error}")
        except (TimeoutError, ConnectionError) as error:
            status = 408 if isinstance(error, TimeoutError) else 499
        except Exception:
            status = 500
            logger.exception("blob listener: upload failed")
            _answer_and_close(
                connection, 500, "error", "internal server error; the server's log has the details"
            )
        finally:
            connection.close()
            self._slots.release()
            log_request("PUT", path.split("?", 1)[0], status, started, user, received, listener="blob")

    def _admit(self, head: Head, connection: socket.socket) -> Ticket:
        """The ticket of what this request may send, or the ``_Answer`` refusing it."""
        parts = head.start_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadMessage(f"not an HTTP/1.x request line: {head.start_line[:80]!r}")
        method, target, _version = parts
        path, _, query = target.partition("?")
        matched = _PATH.fullmatch(path)
        if matched is None:
            raise _Answer(404, "not_found", f"no such path {path[:80]!r}: uploads go to /blobs/<digest>")
        if method != "PUT":
            raise _Answer(405, InvalidInputError.code, f"{method} is not allowed here: send PUT")
        length = head.content_length()
        if "transfer-encoding" in head.headers or length is None:
            raise _Answer(411, InvalidInputError.code, "send the blob with a Content-Length header")
        digest = matched.group(1)
        try:
            ticket = self.tickets.check(digest, query)
        except TicketRefused as refused:
            raise _Answer(403, "permission_denied", str(refused)) from None
        if length != ticket.size or ticket.size > MAX_BLOB_SIZE:
            raise _Answer(
                400,
                InvalidInputError.code,
                f"Content-Length {length} differs from the {ticket.size} bytes planned",
            )
        if head.headers.get("expect", "").lower() == "100-continue":
            connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        return ticket

    def _store(self, connection: socket.socket, head: Head, digest: str, size: int) -> None:
        """Receive the body into the store."""
        try:
            if self.splice and isinstance(self.store, LocalBlobStore) and size > len(head.rest):
                _splice_into(connection, head.rest, size, self.store.open_writer(digest))
            else:
                upload = SingleUpload(self.store, digest, size)
                try:
                    _receive_into(connection, head.rest, size, upload)
                    upload.finish()
                except BaseException:
                    upload.abort()
                    raise
        except ArchivistError as error:
            raise _Answer(error.status, error.code, self.public_message(error.message)) from None


def _splice_into(connection: socket.socket, first: bytes, size: int, writer: BlobWriter) -> None:
    """Into a folder store: the kernel moves the body from the socket to the blob's temp
    file while a second thread hashes what was written; renamed into place once verified."""
    splicer = SocketSplicer(connection, writer.fd, size - len(first))
    try:
        writer.write(first)
        writer.append_moved(lambda: splicer.step(LARGE_CHUNK_BYTES))
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        splicer.close()


def _receive_into(connection: socket.socket, first: bytes, size: int, upload: SingleUpload) -> None:
    """Read ``size`` body bytes (``first`` already read) and feed them to ``upload``, a
    piece being stored on a worker thread while the next is received."""
    worker: BatchWorker[memoryview] = BatchWorker(upload.feed, queued=1, name="archivist-blob-store")
    pieces = [memoryview(bytearray(PIECE_BYTES)) for _ in range(PIECES_HELD)]
    try:
        if first:
            worker.put(memoryview(first[:size]))
        remaining = size - min(len(first), size)
        turn = 0
        while remaining:
            if (error := worker.failure) is not None:
                raise error
            piece = pieces[turn % PIECES_HELD][: min(PIECE_BYTES, remaining)]
            filled = _fill(connection, piece)
            remaining -= filled
            worker.put(piece[:filled])
            turn += 1
    except BaseException:
        worker.cancel()
        raise
    worker.finish()


def _fill(connection: socket.socket, piece: memoryview) -> int:
    filled = 0
    while filled < len(piece):
        count = connection.recv_into(piece[filled:])
        if count == 0:
            raise ConnectionError("the client closed the connection before the whole body arrived")
        filled += count
    return filled


def _answer_and_close(connection: socket.socket, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    try:
        connection.sendall(response_bytes(status, body))
        connection.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        connection.close()
