"""The stat cache: absolute path -> (inode, size, mtime_ns, ctime_ns, digest) in a small
SQLite file.

A file whose inode, size, mtime and ctime all match its row is not read again. The ctime
catches what the others miss: a file rewritten in place (same inode and size) whose
mtime was then set back, as ``rsync --inplace -t`` or ``tar`` do; no program can set a
ctime. Files
modified within ``RACY_SECONDS`` of being recorded are not recorded (nor
trusted): a second change within the filesystem's timestamp granularity could
keep the same mtime and size (git's "racy clean" problem).

The cache is only an optimisation: when it cannot be opened, read or written
(locked, read-only or full disk) it behaves as empty and never fails the caller.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import cast

from archivist.wire import sqlite_rows

RACY_SECONDS = 2
BUSY_TIMEOUT_SECONDS = 1.0
_RACY_NS = RACY_SECONDS * 1_000_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS file_stats (
    path TEXT PRIMARY KEY,
    inode INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL
) WITHOUT ROWID
"""
_DROP_OLD = "DROP TABLE IF EXISTS stat_cache"
"""The table of caches written before ctimes were kept: their rows cannot be trusted."""
_SELECT_ONE = "SELECT path, inode, size, mtime_ns, ctime_ns, digest FROM file_stats WHERE path = ?"
# Rows come back keyed by their position in the JSON array of paths: an integer
# is cheaper to return to Python than the path string again.
_SELECT_MANY = (
    "SELECT j.key, s.inode, s.size, s.mtime_ns, s.ctime_ns, s.digest "
    "FROM json_each(?) AS j JOIN file_stats AS s ON s.path = j.value"
)
# Every row under a folder: keys are absolute paths, and "0" is the character after "/".
_SELECT_UNDER = (
    "SELECT path, inode, size, mtime_ns, ctime_ns, digest FROM file_stats WHERE path >= ? AND path < ?"
)
_UPSERT_HEAD = "INSERT OR REPLACE INTO file_stats (path, inode, size, mtime_ns, ctime_ns, digest)"

logger = logging.getLogger(__name__)
_Row = tuple[object, int, int, int, int, str]  # (path or position, inode, size, mtime_ns, ctime_ns, digest)


class StatCache:
    """Digests of files that did not change since they were hashed.

    Keys are absolute paths (relative ones are made absolute). One instance may
    be shared by the threads of a process; several processes may share the file.
    """

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self._writer_pid = 0
        try:
            self._conn = _connect(db_path)
        except sqlite3.Error as exc:
            logger.warning("stat cache %s is unusable, files will be hashed again: %s", db_path, exc)

    def lookup(self, path: str, st: os.stat_result) -> str | None:
        """The recorded digest of ``path`` if ``st`` matches its row exactly, else None."""
        key = _key(path)
        rows = self._query(_SELECT_ONE, (key,)) if key is not None else []
        return _trusted_digest(rows[0], st, time.time_ns()) if rows else None

    def lookup_many(self, items: Iterable[tuple[str, os.stat_result]]) -> dict[str, str]:
        """``{path: digest}`` for every item whose stat matches; one query for the whole batch."""
        wanted = list(items)
        if not wanted:
            return {}
        rows = self._query(_SELECT_MANY, (json.dumps([_key(path) for path, _st in wanted]),))
        now_ns = time.time_ns()
        found: dict[str, str] = {}
        for row in rows:
            path, st = wanted[cast(int, row[0])]  # the position in ``wanted`` (see _SELECT_MANY)
            digest = _trusted_digest(row, st, now_ns)
            if digest is not None:
                found[path] = digest
        return found

    def lookup_under(self, folder: str, items: Iterable[tuple[str, os.stat_result]]) -> dict[str, str]:
        """Like ``lookup_many`` for files that all lie under ``folder``: one range read of the
        folder's rows instead of a join against every path (faster for whole trees)."""
        wanted = list(items)
        root = _key(folder)
        if root is None:
            return self.lookup_many(wanted)
        root = root.rstrip("/")
        rows = {row[0]: row for row in self._query(_SELECT_UNDER, (root + "/", root + "0"))}
        if not rows:
            return {}
        now_ns = time.time_ns()
        found: dict[str, str] = {}
        for path, st in wanted:
            row = rows.get(path)
            if row is None:
                continue
            digest = _trusted_digest(row, st, now_ns)
            if digest is not None:
                found[path] = digest
        return found

    def record_many(self, items: Iterable[tuple[str, os.stat_result, str]]) -> None:
        """Remember each file's digest (in one transaction), skipping too recently modified files.

        The write happens on a background thread: its commit may checkpoint SQLite's
        write-ahead log, which costs a sync the caller need not wait for (a lookup made
        before it lands hashes those files again, which is correct, only slower).
        """
        now_ns = time.time_ns()
        rows = [
            (key, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, digest)
            for path, st, digest in items
            if _is_settled(st.st_mtime_ns, now_ns) and (key := _key(path)) is not None
        ]
        if not rows or self._conn is None:
            return
        with self._lock:
            if self._writer is None or self._writer_pid != os.getpid():
                self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archivist-statcache")
                self._writer_pid = os.getpid()
            self._pending = self._writer.submit(self._write, rows)

    def flush(self) -> None:
        """Wait for the recordings made so far to be written (in the process that made them:
        a forked child has no writer thread, and nothing of its parent's to wait for)."""
        pending = self._pending
        if pending is not None and self._writer_pid == os.getpid():
            pending.result()

    def _write(self, rows: list[tuple[str, int, int, int, int, str]]) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                with self._conn:  # one transaction, rolled back on error
                    # one statement: this thread runs beside the caller's Python work
                    sqlite_rows.insert_rows(self._conn, _UPSERT_HEAD, rows, 6)
            except sqlite3.Error as exc:
                logger.debug("stat cache %s not updated: %s", self.db_path, exc)

    def close(self) -> None:
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None and self._writer_pid == os.getpid():
            writer.shutdown(wait=True)
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _query(self, sql: str, params: tuple[str, ...]) -> list[_Row]:
        self.flush()  # a lookup sees what this process recorded before it
        if self._conn is None:
            return []
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                logger.debug("stat cache %s not read: %s", self.db_path, exc)
                return []


def _connect(db_path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
    try:
        conn.execute(_SCHEMA)
        conn.execute(_DROP_OLD)
        conn.commit()
        if conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] != "wal":
            logger.debug("stat cache %s is not in WAL mode", db_path)
        conn.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def _trusted_digest(row: _Row, st: os.stat_result, now_ns: int) -> str | None:
    _path, inode, size, mtime_ns, ctime_ns, digest = row
    if (
        inode == st.st_ino
        and size == st.st_size
        and mtime_ns == st.st_mtime_ns
        and ctime_ns == st.st_ctime_ns
    ):
        return digest if _is_settled(mtime_ns, now_ns) else None
    return None


def _is_settled(mtime_ns: int, now_ns: int) -> bool:
    """Whether the file was last modified long enough ago (and not in the future)."""
    return now_ns - mtime_ns >= _RACY_NS


def _key(path: str) -> str | None:
    """The absolute path, or None for a name SQLite cannot hold (not valid UTF-8 on disk)."""
    key = path if os.path.isabs(path) else os.path.abspath(path)
    if key.isascii():
        return key
    try:
        key.encode()
    except UnicodeEncodeError:
        return None  # such files are simply hashed every time
    return key
