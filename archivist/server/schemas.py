"""Request bodies of the blob routes, for validation and /openapi.json (the routes of the
declared calls derive theirs from the declarations: ``archivist.server.wire_models``).

They check the JSON's shape only (strings are strings, numbers fit in 64 bits, unknown
fields are refused); what a value means is checked by the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from archivist.core.ids import Digest as _Digest
from archivist.server.wire_models import Int64, WireModel, wire_type

if TYPE_CHECKING:
    Digest = _Digest
else:
    Digest = wire_type(_Digest)  # the pattern in the form pydantic checks and publishes


class DigestsBody(WireModel):
    digests: list[Digest]


class ResumeBody(WireModel):
    upload_id: str
    multipart_id: str


class PlannedBlob(WireModel):
    digest: Digest
    size: Int64
    resume: ResumeBody | None = None
    """The token of an interrupted multipart upload of this blob, to resume it."""


class UploadPlanBody(WireModel):
    blobs: list[PlannedBlob]
    stream: bool = False
    """The client can send large blobs to the server's blob listener (mode ``stream``)."""


class UploadedPartBody(WireModel):
    part_number: Int64
    etag: str


class UploadCompletionBody(WireModel):
    digest: Digest
    upload_id: str
    multipart_id: str | None = None
    parts: list[UploadedPartBody] = Field(default_factory=list)


class UploadCompleteBody(WireModel):
    completions: list[UploadCompletionBody]
