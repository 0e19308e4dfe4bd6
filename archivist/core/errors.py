"""The one exception hierarchy of Archivist.

Every class carries a stable wire ``code`` and an HTTP ``status`` so that the
server can send it and the HTTP backend can raise the same class again. Each
class also subclasses the builtin exception W&B raises in that situation, so
``except ValueError`` in a W&B script keeps working.

    ArchivistError
    ├── InvalidInputError (ValueError)            invalid_input      400
    │   ├── ReservedTypeError                     reserved_type      400
    │   └── TooLargeError                         too_large          413
    │       └── UploadQuotaError                  upload_quota       413
    ├── ConflictError (ValueError)                conflict           409
    │   ├── TypeConflictError                     type_conflict      409
    │   ├── AliasInUseError                       alias_in_use       409
    │   ├── ProtectedAliasError                   protected_alias    409
    │   └── PromotionRuleError                    promotion_rule     409
    ├── NotFoundError (CommError, LookupError,    not_found          404
    │   │              ValueError)
    │   ├── ArtifactNotFoundError                 artifact_not_found 404
    │   ├── RunNotFoundError                      run_not_found      404
    │   └── BlobNotFoundError                     blob_not_found     404
    ├── EntryNotFoundError (KeyError)             entry_not_found    404
    ├── PathNotFoundError (FileNotFoundError)     path_not_found     404
    ├── ArtifactStatusError (AttributeError)      artifact_status    409
    │   ├── ArtifactNotLoggedError                artifact_not_logged 409
    │   └── ArtifactFinalizedError                artifact_finalized 409
    ├── IntegrityError (ValueError)               integrity          422
    │   ├── FileChangedError                      file_changed       422
    │   └── DamagedBlobError                      damaged_blob       500
    ├── WaitTimeoutError (TimeoutError)           wait_timeout       408
    ├── LogCancelledError                         log_cancelled      409
    ├── UsageError (RuntimeError)                 usage              400
    ├── CommError                                 comm               502
    │   ├── AuthenticationError                   unauthenticated    401
    │   └── PermissionDeniedError                 permission_denied  403
    │       └── DownloadRefusedError (PermissionError) download_refused 403
    ├── StorageError (OSError)                    storage            500
    │   └── NoSpaceError                          no_space           507
    └── NotSupportedError (NotImplementedError)   not_supported      501
"""

from __future__ import annotations

from typing import ClassVar


class ArchivistError(Exception):
    """Root of every error Archivist raises on purpose."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message


class InvalidInputError(ArchivistError, ValueError):
    code = "invalid_input"
    status = 400


class ReservedTypeError(InvalidInputError):
    code = "reserved_type"


class TooLargeError(InvalidInputError):
    """A request body, or a field of one, is over its limit (the message names the limit)."""

    code = "too_large"
    status = 413


class UploadQuotaError(TooLargeError):
    """A user's uploads that no commit references yet would exceed their quota."""

    code = "upload_quota"


class ConflictError(ArchivistError, ValueError):
    code = "conflict"
    status = 409


class TypeConflictError(ConflictError):
    code = "type_conflict"


class AliasInUseError(ConflictError):
    code = "alias_in_use"


class ProtectedAliasError(ConflictError):
    """A version is held by a registry's protected alias: its source cannot be deleted until
    the alias is removed (the message names the alias and the link)."""

    code = "protected_alias"


class PromotionRuleError(ConflictError):
    """A version fails the promotion rule of the protected alias it was to get (the message
    names each failing comparison and the actual values)."""

    code = "promotion_rule"


class CommError(ArchivistError):
    """W&B's error for what the server answered or could not answer."""

    code = "comm"
    status = 502


class NotFoundError(CommError, LookupError, ValueError):
    """Nothing of that name. A ``CommError`` too, as in W&B, where scripts catch a
    missing artifact with ``except wandb.errors.CommError``."""

    code = "not_found"
    status = 404


class ArtifactNotFoundError(NotFoundError):
    code = "artifact_not_found"


class RunNotFoundError(NotFoundError):
    code = "run_not_found"


class BlobNotFoundError(NotFoundError):
    code = "blob_not_found"


class EntryNotFoundError(ArchivistError, KeyError):
    code = "entry_not_found"
    status = 404


class PathNotFoundError(ArchivistError, FileNotFoundError):
    code = "path_not_found"
    status = 404


class ArtifactStatusError(ArchivistError, AttributeError):
    code = "artifact_status"
    status = 409


class ArtifactNotLoggedError(ArtifactStatusError):
    code = "artifact_not_logged"


class ArtifactFinalizedError(ArtifactStatusError):
    code = "artifact_finalized"


class IntegrityError(ArchivistError, ValueError):
    code = "integrity"
    status = 422


class FileChangedError(IntegrityError):
    code = "file_changed"


class DamagedBlobError(IntegrityError):
    """A stored blob does not hold its bytes: a wrong size or digest (a disk fault, a power
    cut before durable commits, a hand-edited store). ``digest`` names it, so that a caller
    that knows which files use it can say so; the next upload of its bytes replaces it."""

    code = "damaged_blob"
    status = 500

    def __init__(self, message: str, digest: str = "") -> None:
        super().__init__(message)
        self.digest = digest


class WaitTimeoutError(ArchivistError, TimeoutError):
    code = "wait_timeout"
    status = 408


class LogCancelledError(ArchivistError):
    """A background log was cancelled (Ctrl-C) before its commit began: nothing was committed."""

    code = "log_cancelled"
    status = 409


class UsageError(ArchivistError, RuntimeError):
    """The API was called in the wrong order, e.g. ``log()`` before ``init()``
    or on a finished run (W&B's ``wandb.Error``/``UsageError``)."""

    code = "usage"
    status = 400


class AuthenticationError(CommError):
    code = "unauthenticated"
    status = 401


class PermissionDeniedError(CommError):
    code = "permission_denied"
    status = 403


class DownloadRefusedError(PermissionDeniedError, PermissionError):
    """A version's files (or its use as a run's input) refused to one who may read its
    metadata: a restricted viewer of the registry it was reached through. W&B raises a
    permission error there; the message names the role needed."""

    code = "download_refused"
    status = 403


class StorageError(ArchivistError, OSError):
    code = "storage"
    status = 500


class NoSpaceError(StorageError):
    """The disk holding a store is full. The message names the store by its kind (a server's
    never names its paths); nothing was half-written. Deleting versions and collecting
    garbage free space, and work on a full disk."""

    code = "no_space"
    status = 507
    HINT = (
        "delete versions you no longer need and collect garbage (`archivist gc`; with --db and "
        "--store on a server) to free space"
    )


class NotSupportedError(ArchivistError, NotImplementedError):
    """A W&B feature this version of Archivist does not offer yet."""

    code = "not_supported"
    status = 501


def _all_subclasses(cls: type[ArchivistError]) -> list[type[ArchivistError]]:
    found: list[type[ArchivistError]] = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


def error_class_for_code(code: str) -> type[ArchivistError]:
    """The class that owns a wire code; unknown codes map to the root class."""
    for cls in _all_subclasses(ArchivistError):
        if cls.code == code:
            return cls
    return ArchivistError
