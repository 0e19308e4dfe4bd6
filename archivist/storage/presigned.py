"""What a store offers when clients move bytes to and from it through presigned URLs
(``BlobStore.presigned_access``; ``archivist.service.transfers`` plans the transfers).

Client uploads land at staging keys (``incoming/<upload id>/<digest>``) and become
blobs only through ``promote_staged``, which hashes them first.
"""

from __future__ import annotations

from typing import Protocol

from archivist.storage.s3_multipart import S3Multipart


class PresignedAccess(Protocol):
    @staticmethod
    def staging_key(upload_id: str, digest: str) -> str:
        """Where a client's upload ``upload_id`` of blob ``digest`` lands."""
        ...

    @property
    def supports_multipart(self) -> bool:
        """Whether uploads can be split into presigned parts (``multipart``)."""
        ...

    @property
    def multipart(self) -> S3Multipart:
        """Presigned multipart uploads (only when ``supports_multipart``)."""
        ...

    @property
    def upload_headers(self) -> dict[str, str]:
        """Headers every presigned PUT must send."""
        ...

    def presign_upload(self, key: str, expires_in: int) -> str:
        """A PUT URL for a staging key."""
        ...

    def presign_download(self, digest: str, expires_in: int) -> str:
        """A GET URL of blob ``digest``."""
        ...

    def promote_staged(self, upload_id: str, digest: str) -> int:
        """Hash the staged upload; if it matches, make it blob ``digest`` and return its size
        (``IntegrityError`` otherwise, the staged copy deleted)."""
        ...
