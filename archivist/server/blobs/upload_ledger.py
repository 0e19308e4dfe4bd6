"""The uploader's account of their uploads, as the byte paths see it: each upload is
reserved against the uploader's quota before its bytes are taken and confirmed once
the server has hashed them (``Service.reserve_uploads`` and ``confirm_uploads``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class UploadLedger(Protocol):
    """The uploader's account of their uploads (``Service.reserve_uploads`` and
    ``confirm_uploads``)."""

    def reserve_uploads(self, sizes: Mapping[str, int]) -> None: ...

    def confirm_uploads(self, sizes: Mapping[str, int]) -> None: ...


class _Unaccounted:
    """The ledger of uploads nobody is accounted for (tools and tests of the byte paths)."""

    def reserve_uploads(self, sizes: Mapping[str, int]) -> None:
        return None

    def confirm_uploads(self, sizes: Mapping[str, int]) -> None:
        return None


UNACCOUNTED: UploadLedger = _Unaccounted()
