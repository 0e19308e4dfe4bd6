"""Large blobs to the server's blob listener (``archivist.server.blob_listener``).

A ``stream`` target of the upload plan carries a signed URL on the server's own
listener. The file goes out in one ``PUT`` straight from the page cache
(``sendfile``), after the listener answered ``100 Continue``: a refused ticket
costs no bytes. The listener verifies the digest and stores the blob; a mismatch
means the file changed since it was hashed (``FileChangedError``).

When the listener cannot be reached (a proxy or firewall stands between us, or the
server restarted and no longer knows the ticket), ``send`` raises ``StreamFailed``
and the caller sends the blob through the API instead.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import SplitResult, urlsplit

from archivist.client.transfer.api_uploads import Upload, changed_during_upload
from archivist.core.errors import CommError, FileChangedError, PathNotFoundError
from archivist.core.progress import Progress
from archivist.core.transfers import UploadTarget
from archivist.wire.plain_http import BadMessage, Head, head_bytes, read_body, read_head

CONNECT_SECONDS = 3.0
ANSWER_SECONDS = 300.0
"""Longest silence from the listener (it verifies and stores before it answers)."""
SEND_STEP_BYTES = 16 << 20
"""Bytes per ``sendfile`` call, between progress reports."""
MAX_ANSWER_BYTES = 64 * 1024


class StreamFailed(Exception):
    """The listener could not take the blob; send it through the API instead.

    ``unreachable`` is True when no later stream to this server would fare better."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


def send(target: UploadTarget, upload: Upload, progress: Progress) -> None:
    """PUT ``upload``'s bytes to the listener URL of ``target``."""
    if target.url is None:
        raise CommError(f"the upload plan for blob {target.digest} has no listener URL")
    where = urlsplit(target.url)
    if where.scheme != "http" or where.hostname is None or where.port is None:
        raise CommError(f"the upload plan for blob {target.digest} has an unusable URL {where.netloc!r}")
    try:
        connection = socket.create_connection((where.hostname, where.port), timeout=CONNECT_SECONDS)
    except OSError as error:
        raise StreamFailed(
            f"cannot reach the blob listener at {where.netloc}: {error}", unreachable=True
        ) from None
    with connection:
        connection.settimeout(ANSWER_SECONDS)
        try:
            _exchange(connection, where, upload, progress)
        except (OSError, BadMessage) as error:
            raise StreamFailed(f"the blob listener at {where.netloc} broke off: {error}") from None


def _exchange(connection: socket.socket, where: SplitResult, upload: Upload, progress: Progress) -> None:
    path = where.path + (f"?{where.query}" if where.query else "")
    headers = {
        "Host": where.netloc,
        "Content-Type": "application/octet-stream",
        "Content-Length": str(upload.size),
        "Expect": "100-continue",
        "Connection": "close",
    }
    connection.sendall(head_bytes(f"PUT {path} HTTP/1.1", headers))
    head = _answer_head(connection)
    if _status(head) == 100:
        _send_body(connection, upload, progress)
        head = _answer_head(connection)
    _check_answer(head, read_body(connection, head, MAX_ANSWER_BYTES), upload)


def _answer_head(connection: socket.socket) -> Head:
    head = read_head(connection)
    if head is None:
        raise BadMessage("the listener closed the connection without an answer")
    return head


def _status(head: Head) -> int:
    parts = head.start_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise BadMessage(f"not an HTTP status line: {head.start_line[:80]!r}")
    return int(parts[1])


def _send_body(connection: socket.socket, upload: Upload, progress: Progress) -> None:
    if upload.data is not None:
        connection.sendall(upload.data)
        progress(upload.size)
        return
    try:
        source = open(upload.path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise PathNotFoundError(
            f"cannot read {upload.path}: no such file (it vanished before its upload)"
        ) from None
    with source:
        sent = 0
        while sent < upload.size:
            # socket.sendfile: os.sendfile that waits on the socket's timeout
            count = connection.sendfile(source, sent, min(SEND_STEP_BYTES, upload.size - sent))
            if count == 0:
                raise FileChangedError(
                    f"{upload.path} changed while it was being uploaded: it has fewer than the "
                    f"{upload.size} bytes it had when hashed; nothing was stored"
                )
            sent += count
            progress(count)


def _check_answer(head: Head, body: bytes, upload: Upload) -> None:
    status = _status(head)
    if status == 200:
        return
    try:
        error = json.loads(body)["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "error", body[:200].decode("utf-8", "replace")
    if code == "integrity":
        raise changed_during_upload(upload, message)
    raise StreamFailed(
        f"the blob listener answered HTTP {status} ({code}): {message}", unreachable=status == 403
    )
