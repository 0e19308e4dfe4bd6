"""The server's blob listener: large blobs sent and fetched on a plain socket of its own.

Why: the API's ASGI stack hands a request body to the app in 64-256 KiB pieces, each
a trip through the event loop, which a large upload keeps busy for about as long again
as hashing and writing take (figures: benchmarks/PROFILE.md); an answer goes out the same
way. Here a thread per transfer takes the body (``listener_upload``) or hands the blob's
file to the kernel (``listener_download``), as a presigning object store would.

One request per connection: ``PUT /blobs/<digest>?size=..&expires=..&signature=..``
with a ``Content-Length`` body, the URL being a ticket of the upload plan, or ``GET`` of
the same form, the URL being a ticket the API's ``GET /blobs/{digest}`` redirected to
(``archivist.server.blobs.tickets``; no API key here). Error answers are JSON
``{"error": {"code", "message"}}`` with the API's error codes (422 ``integrity`` when
uploaded bytes do not match); a stored upload answers ``200 {"stored": digest}``, a
download ``200`` with the blob's bytes.

What a connection may hold (``ListenerLimits``), so that nobody can take the listener
from others by connecting and sending slowly: until its request head has arrived it is
only a socket and a small buffer, under a short deadline, at the door
(``archivist.server.blobs.listener_door``). Only a head whose ticket is valid -- checked from
the request line and the headers -- gets one of the upload slots (a few per user to
whom the tickets were given) and a thread, and its upload then has a deadline from its
size at a minimum rate: past it the door thread shuts the connection.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from archivist.core.errors import ArchivistError, InvalidInputError
from archivist.server.blobs.listener_door import Door, answer_and_close, log_listener_request
from archivist.server.blobs.listener_download import send_blob
from archivist.server.blobs.listener_upload import receive_body
from archivist.server.blobs.tickets import BlobTickets, Ticket, TicketRefused
from archivist.server.blobs.upload_ledger import UNACCOUNTED, UploadLedger
from archivist.server.config import ListenerLimits
from archivist.storage.base import BlobStore
from archivist.wire.blob_frames import MAX_BLOB_SIZE
from archivist.wire.plain_http import BadMessage, Head, response_bytes
from archivist.wire.splice import CAN_SPLICE

logger = logging.getLogger("archivist.server")
_PATH = re.compile(r"/blobs/([0-9a-f]{64})")


@dataclass
class _Answer(Exception):
    """Ends a request early with this status and error."""

    status: int
    code: str
    message: str


@dataclass(eq=False)
class _Transfer:
    """A request with a valid ticket, holding a slot while its body arrives or its blob is sent."""

    connection: socket.socket
    head: Head
    ticket: Ticket
    started: float
    deadline: float
    overdue: bool = False


class BlobListener:
    """``start`` it on a host and port; the upload plan hands out its URLs while it runs."""

    def __init__(
        self,
        store: BlobStore,
        tickets: BlobTickets,
        public_message: Callable[[str], str] | None = None,
        limits: ListenerLimits | None = None,
        splice: bool = CAN_SPLICE,
        ledger_for: Callable[[str], UploadLedger] | None = None,
    ) -> None:
        """``public_message``: what an answer may say of an error (the server's paths taken
        out). ``splice``: move bodies into a folder store inside the kernel (else ``recv``).
        ``ledger_for(user)``: the account of the ticket's user, told of each blob stored
        (by default nobody's: a listener without a server's accounts)."""
        self.store, self.tickets = store, tickets
        self.ledger_for = ledger_for or (lambda _user: UNACCOUNTED)
        self.public_message = public_message or (lambda message: message)
        self.limits = limits or ListenerLimits()
        self.splice = splice and CAN_SPLICE
        self._lock = threading.Lock()
        self._uploads: set[_Transfer] = set()
        self._per_user: Counter[str] = Counter()
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
        self._socket = listening
        door = Door(listening, self.limits, self._on_head, self._on_tick)
        self._thread = threading.Thread(
            target=door.run, args=(self._closed,), name="archivist-blob-listener", daemon=True
        )
        self._thread.start()
        taken: int = listening.getsockname()[1]
        return taken

    def close(self) -> None:
        """Stop taking connections (uploads in progress finish on their own threads)."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join()
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    # --- requests whose head arrived (from the door) ---------------------------------------

    def _on_head(self, connection: socket.socket, head: Head, started: float) -> None:
        """Give the request an upload slot and a thread if its ticket is valid, else answer."""
        try:
            ticket = self._admit(head)
        except _Answer as answer:
            answer_and_close(connection, answer.status, answer.code, answer.message)
            log_listener_request(head, answer.status, started)
            return
        except BadMessage as error:
            answer_and_close(connection, 400, InvalidInputError.code, f"malformed request: {error}")
            log_listener_request(head, 400, started)
            return
        deadline = time.perf_counter() + self.limits.upload_seconds(ticket.size)
        upload = _Transfer(connection, head, ticket, started, deadline)
        if not self._take_slot(upload):
            answer_and_close(connection, 503, "busy", "too many uploads at once: try again")
            log_listener_request(head, 503, started, ticket.user)
            return
        try:
            threading.Thread(
                target=self._serve, args=(upload,), name="archivist-blob-upload", daemon=True
            ).start()
        except RuntimeError:  # no thread to be had
            self._release_slot(upload)
            log_listener_request(head, 503, started, ticket.user)

    def _on_tick(self, now: float) -> float | None:
        """Shut the connections of uploads past their deadline (their threads then end the
        requests); the next deadline of the others."""
        with self._lock:
            for upload in self._uploads:
                if upload.deadline <= now and not upload.overdue:
                    upload.overdue = True
                    with contextlib.suppress(OSError):
                        upload.connection.shutdown(socket.SHUT_RDWR)
            return min((u.deadline for u in self._uploads if not u.overdue), default=None)

    def _admit(self, head: Head) -> Ticket:
        """The ticket of what this request may send, or the ``_Answer`` refusing it."""
        parts = head.start_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadMessage(f"not an HTTP/1.x request line: {head.start_line[:80]!r}")
        method, target, _version = parts
        path, _, query = target.partition("?")
        matched = _PATH.fullmatch(path)
        if matched is None:
            raise _Answer(404, "not_found", f"no such path {path[:80]!r}: blobs are at /blobs/<digest>")
        if method not in ("PUT", "GET"):
            raise _Answer(405, InvalidInputError.code, f"{method} is not allowed here: send PUT or GET")
        length = head.content_length()
        if method == "GET":
            if "transfer-encoding" in head.headers or length not in (None, 0):
                raise _Answer(400, InvalidInputError.code, "a GET of a blob has no body")
        elif "transfer-encoding" in head.headers or length is None:
            raise _Answer(411, InvalidInputError.code, "send the blob with a Content-Length header")
        try:
            ticket = self.tickets.check(matched.group(1), query, method=method)
        except TicketRefused as refused:
            raise _Answer(403, "permission_denied", str(refused)) from None
        if method == "GET":
            return ticket
        if length != ticket.size or ticket.size > MAX_BLOB_SIZE:
            raise _Answer(
                400,
                InvalidInputError.code,
                f"Content-Length {length} differs from the {ticket.size} bytes planned",
            )
        return ticket

    # --- uploads: requests with a valid ticket ---------------------------------------------

    def _take_slot(self, upload: _Transfer) -> bool:
        user = upload.ticket.user
        with self._lock:
            if (
                len(self._uploads) >= self.limits.uploads
                or self._per_user[user] >= self.limits.uploads_per_user
            ):
                return False
            self._uploads.add(upload)
            self._per_user[user] += 1
            return True

    def _release_slot(self, upload: _Transfer) -> None:
        with self._lock:  # under the lock: the door never shuts a socket closed here
            self._uploads.discard(upload)
            self._per_user[upload.ticket.user] -= 1
            if not self._per_user[upload.ticket.user]:
                del self._per_user[upload.ticket.user]
            upload.connection.close()

    def _serve(self, upload: _Transfer) -> None:
        connection, head, ticket = upload.connection, upload.head, upload.ticket
        status, received = 400, 0
        try:
            connection.setblocking(True)
            connection.settimeout(self.limits.idle_seconds)
            if ticket.method == "GET":
                try:
                    received, status = send_blob(connection, self.store, ticket.digest, ticket.size), 200
                except (ArchivistError, LookupError) as error:
                    raise _Answer(404, "not_found", self.public_message(str(error))) from None
                return
            if head.headers.get("expect", "").lower() == "100-continue":
                connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            ledger = self.ledger_for(ticket.user)
            try:
                receive_body(
                    connection, head.rest, ticket.size, ticket.digest, self.store, self.splice, ledger
                )
                ledger.confirm_uploads({ticket.digest: ticket.size})
            except ArchivistError as error:
                raise _Answer(error.status, error.code, self.public_message(error.message)) from None
            received, status = ticket.size, 200
            connection.sendall(response_bytes(200, json.dumps({"stored": ticket.digest}).encode()))
        except _Answer as answer:
            status = answer.status
            answer_and_close(connection, answer.status, answer.code, answer.message)
        except (TimeoutError, ConnectionError) as error:
            status = 408 if upload.overdue or isinstance(error, TimeoutError) else 499
        except Exception:
            if upload.overdue:  # the door shut the connection under it
                status = 408
            else:
                status = 500
                logger.exception("blob listener: upload failed")
                answer_and_close(
                    connection, 500, "error", "internal server error; the server's log has the details"
                )
        finally:
            self._release_slot(upload)
            log_listener_request(head, status, upload.started, ticket.user, received)
