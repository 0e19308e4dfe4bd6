"""A full disk: a clear error, nothing half-written, and room left to free space.

On a full disk even the work that frees space needs a little: deleting a version is a
database write, SQLite needs room for its write-ahead log (and, to open a database no
other process holds open, for its shared-memory file), and collecting garbage writes
too. So a store keeps a *reserve* (``ARCHIVIST_SPACE_RESERVE``, 16 MiB by default on the
embedded store and a server's folder store): a blob write that would leave less than
that free on the store's filesystem fails before it starts, with ``NoSpaceError``
naming the store (by its kind on a server, never by its path) and what frees space.
Deleting versions and ``archivist gc`` then run in the reserve. A write that runs out of
space anyway (another program filled the disk) fails with the same error; every write
removes what it began, so nothing is half-written.

``no_space_as(label)`` turns the operating system's and SQLite's "disk full" into
``NoSpaceError``; ``SpaceGuard.check(nbytes)`` is the check before a write.
"""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from archivist.core.errors import NoSpaceError
from archivist.core.sizes import format_size

FREE_SPACE_HINT = NoSpaceError.HINT
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
SQLITE_NO_SPACE_CODES = frozenset({13, 4874})
"""``SQLITE_FULL``, and ``SQLITE_IOERR_SHMSIZE`` (no room for the shared-memory file)."""


def is_no_space(error: BaseException) -> bool:
    """Whether ``error`` is an operating system's or SQLite's "disk full"."""
    if isinstance(error, NoSpaceError):
        return True
    if isinstance(error, OSError):
        return error.errno in NO_SPACE_ERRNOS
    if isinstance(error, sqlite3.OperationalError):
        return getattr(error, "sqlite_errorcode", None) in SQLITE_NO_SPACE_CODES
    return False


def no_space_error(label: str) -> NoSpaceError:
    return NoSpaceError(f"no space left on {label}; nothing was half-written: {FREE_SPACE_HINT}")


@contextmanager
def no_space_as(label: str) -> Iterator[None]:
    """Raise ``NoSpaceError`` naming ``label`` for a "disk full" met inside the block."""
    try:
        yield
    except NoSpaceError:
        raise
    except (OSError, sqlite3.OperationalError) as error:
        if is_no_space(error):
            raise no_space_error(label) from None
        raise


Method = TypeVar("Method", bound=Callable[..., Any])


def converts_no_space(method: Method) -> Method:
    """A store method whose "disk full" becomes ``NoSpaceError`` naming ``self.label``."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        with no_space_as(self.label):
            return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


class SpaceGuard:
    """Refuses writes that would leave less than ``reserve`` bytes free where ``path`` lives."""

    def __init__(self, path: str, reserve: int, label: str) -> None:
        self.path, self.reserve, self.label = path, reserve, label

    def check(self, nbytes: int) -> None:
        """``NoSpaceError`` unless ``nbytes`` more leave at least the reserve free."""
        if self.reserve <= 0:
            return
        st = os.statvfs(self.path)
        free = st.f_bavail * st.f_frsize
        if free - nbytes < self.reserve:
            raise NoSpaceError(
                f"no space left on {self.label}: {format_size(free)} free, {format_size(nbytes)} to "
                f"store and {format_size(self.reserve)} kept for freeing space; nothing was written: "
                f"{FREE_SPACE_HINT}"
            )
