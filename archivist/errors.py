"""W&B's ``wandb.errors`` names, so ``except wandb.errors.CommError`` keeps working.

W&B's names map onto Archivist's one hierarchy (``archivist.core.errors``):
``Error`` is its root, ``CommError`` also catches a missing artifact or run (as
W&B's does), ``AuthorizationError`` is a refused permission and
``UnsupportedError`` a W&B feature Archivist does not offer.
"""

from archivist.core.errors import *  # noqa: F403
from archivist.core.errors import (
    ArchivistError,
    AuthenticationError,
    CommError,
    NotSupportedError,
    PermissionDeniedError,
    UsageError,
)

Error = ArchivistError
AuthorizationError = PermissionDeniedError
UnsupportedError = NotSupportedError

__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "CommError",
    "Error",
    "UnsupportedError",
    "UsageError",
]
