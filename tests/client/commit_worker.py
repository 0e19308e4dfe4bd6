"""A separate process that commits versions to an embedded store, for the
multi-process tests: ``python -m tests.client.commit_worker HOME WORKER COUNT [GO_FILE]``.

It opens the store, waits until GO_FILE exists (so that all workers start
committing at the same moment), then commits COUNT versions of distinct content
to the collection ``shared`` (COUNT 0 means: until killed), printing each
version number as soon as it is committed.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

from archivist.core.settings import Settings
from archivist.service.embedded import LocalBackend
from tests.client.artifact_logging import log_files

COLLECTION = "shared"


def main(home: str, worker: str, count: int, go_file: str | None) -> None:
    backend = LocalBackend(Settings(home=home, cache_dir=os.path.join(home, "cache")))
    print("ready", flush=True)
    while go_file and not os.path.exists(go_file):
        time.sleep(0.005)
    rounds = itertools.count() if count == 0 else range(count)
    for number in rounds:
        files = {f"{worker}/{number}.txt": f"{worker}:{number}".encode(), "common.txt": b"same in all"}
        version = log_files(backend, COLLECTION, files).version
        print(f"committed {version.version_index}", flush=True)
    backend.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
