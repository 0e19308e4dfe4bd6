"""Sending one blob from the blob listener: the store's file handed to the kernel.

``socket.sendfile`` moves a blob kept in a file (a folder store's large blobs) from the
page cache to the socket without passing it through Python, where the API's streamed
answer reads it in chunks and hands each through the event loop. A store whose reader
is not a file is sent by ``sendfile``'s own fallback (reads and sends). The server does
not hash what it sends: the store verified the blob when it was written, and the client
verifies what it receives.
"""

from __future__ import annotations

import socket

from archivist.storage.base import BlobStore
from archivist.wire.plain_http import head_bytes

OCTET_STREAM = "application/octet-stream"


def send_blob(connection: socket.socket, store: BlobStore, digest: str, size: int) -> int:
    """Answer 200 with the ``size`` bytes of blob ``digest``; the bytes sent.
    ``BlobNotFoundError`` (before any byte) when the store lacks it."""
    handle, stored_size = store.open_sized(digest)
    with handle:
        if stored_size != size:  # a ticket names what the API saw: never send other bytes
            raise LookupError(f"blob {digest} holds {stored_size} bytes, not the {size} of its ticket")
        headers = {"Content-Type": OCTET_STREAM, "Content-Length": str(size), "Connection": "close"}
        connection.sendall(head_bytes("HTTP/1.1 200 OK", headers))
        return connection.sendfile(handle, 0, size)
