"""The server's collector: a thread that runs ``service.gc`` every ``gc_interval`` seconds
(sweep, purge, blobs, upkeep). Many replicas may run it: a lease in the database lets one
run at a time (``locks.one_collector``); the others skip that turn. A failed run is logged
and the next turn tries again (every step is safe to repeat)."""

from __future__ import annotations

import logging
import threading

from archivist.core.collector import GcReport
from archivist.core.errors import ArchivistError
from archivist.service import gc
from archivist.service.service import Service

_log = logging.getLogger("archivist.server")


class CollectorLoop:
    def __init__(self, service: Service, interval_seconds: float, grace_seconds: float) -> None:
        self.service = service
        self.interval = interval_seconds
        self.grace = grace_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="archivist-collector", daemon=True)
        self.runs = 0
        """Runs this replica made (a turn another replica held the lease for is not one)."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def run_once(self) -> GcReport | None:
        service = self.service
        try:
            report = gc.run_if_idle(service.engine, service.store, self.grace, service.sweep_step)
        except (ArchivistError, OSError) as error:
            _log.warning("collector: the run failed (the next one retries): %s", error)
            return None
        except Exception:  # a bug must not stop the loop: logged with its traceback
            _log.exception("collector: the run failed (the next one retries)")
            return None
        if report is None:
            _log.info("collector: another replica is collecting; skipped this turn")
            return None
        self.runs += 1
        _log.info(
            "collector: purged %d versions, removed %d blobs, reclaimed %d bytes",
            len(report.purged_versions),
            report.removed_blobs,
            report.reclaimed_bytes,
        )
        return report
