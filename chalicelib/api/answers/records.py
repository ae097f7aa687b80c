"""Answers of the shared care record."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.answers.common import Answer, DoctorCode, DocumentId, Instant, Page
from chalicelib.domain.documents import Confidentiality, DocumentType, Status
from chalicelib.domain.record_terms import RecordStatus


class Upload(Answer):
    """A presigned PUT: send the PDF with exactly these headers before `expires_at`."""

    url: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    method: Literal["PUT"]
    headers: Annotated[
        dict[str, str],
        Field(description="`Content-Type`, `Content-Length` and `x-amz-checksum-sha256`, all signed."),
    ]
    expires_at: Annotated[Instant, Field(description="At most 5 minutes after the answer.")]


class PendingDocument(Answer):
    id: DocumentId
    status: Literal["pending_upload"]
    upload: Upload


class CompletedDocument(Answer):
    id: DocumentId
    status: Status


class RecordDocument(Answer):
    id: DocumentId
    type: DocumentType
    title: str
    author: Annotated[str, Field(description="The practice that wrote it.")]
    author_code: Annotated[
        DoctorCode | None, Field(description="Its doctor code; null where no practice wrote it.")
    ]
    created_at: Instant
    size_bytes: Annotated[int, Field(ge=0)]
    confidentiality: Confidentiality


class RecordDocumentPage(Page):
    """Newest first."""

    items: list[RecordDocument]


class RecordDownload(RecordDocument):
    download_url: Annotated[
        str, Field(json_schema_extra={"format": "uri"}, description="A presigned GET URL.")
    ]
    download_expires_in: Annotated[int, Field(ge=1, le=300, description="Seconds the URL stays valid.")]


class Grant(Answer):
    doctor_code: DoctorCode
    name: Annotated[str, Field(description="The practice's registered name.")]
    until: Annotated[
        str | None,
        Field(
            json_schema_extra={"format": "date"}, description="The last day it works; null until withdrawn."
        ),
    ]


class Block(Answer):
    doctor_code: DoctorCode
    name: str


class RecordSettings(Answer):
    status: RecordStatus
    grants: list[Grant]
    blocks: list[Block]
