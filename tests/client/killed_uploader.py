"""A client that dies in the middle of a multipart upload (for the resume test).

``python -m tests.client.killed_uploader STORE_URL FILE JOURNAL_DIR THRESHOLD``
plans the upload of FILE with a journal, sends its parts one at a time and
kills itself (``os._exit``, no cleanup) once part 2 is being read, i.e. after
part 1 is stored.
"""

from __future__ import annotations

import os
import sys

import httpx

from archivist.client.transfer.hashing import hash_file
from archivist.client.transfer.multipart_journal import UploadJournal
from archivist.client.transfer.presigned import upload
from archivist.core.transfers import TransferPolicy, UploadRequest
from archivist.service.transfers import plan_uploads
from archivist.storage.object_store import ObjectBlobStore

KILLED_EXIT_CODE = 17


def main(url: str, path: str, journal_dir: str, threshold: int) -> None:
    store = ObjectBlobStore(url)
    digest, size = hash_file(path)
    policy = TransferPolicy(multipart_threshold=threshold)
    [target] = plan_uploads(store, [UploadRequest(digest, size)], policy)
    sent = 0

    def die_during_part_two(count: int) -> None:
        nonlocal sent
        sent += count
        if sent > target.part_size:
            os._exit(KILLED_EXIT_CODE)

    with httpx.Client() as client:
        upload(
            target,
            path,
            client=client,
            progress=die_during_part_two,
            part_workers=1,
            journal=UploadJournal(journal_dir),
        )
    sys.exit("the upload finished; it should have been killed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
