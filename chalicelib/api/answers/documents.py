"""Answers of the patient's vault."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.answers.common import Answer, DocumentId, Instant, Page


class Document(Answer):
    id: DocumentId
    type: Annotated[str, Field(examples=["invoice"])]
    title: str
    author: Annotated[str, Field(description="The practice that wrote it.")]
    created_at: Instant
    size_bytes: Annotated[int, Field(ge=0)]
    hidden: Annotated[
        bool, Field(description="Hidden by the patient from every professional but its author.")
    ]


class DocumentPage(Page):
    items: list[Document]


class Download(Document):
    """The document, and a URL to fetch it from."""

    download_url: Annotated[
        str, Field(json_schema_extra={"format": "uri"}, description="A presigned GET URL.")
    ]
    download_expires_in: Annotated[int, Field(ge=1, le=300, description="Seconds the URL stays valid.")]
