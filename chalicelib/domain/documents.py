"""A document in a patient's vault, as its metadata describes it; the bytes live in S3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Document:
    # The owner's matricule: whose vault holds the document. It never reaches an object key.
    owner: str
    document_id: str
    type: str
    title: str
    author: str
    created_at: datetime
    size_bytes: int
    object_key: str
    content_type: str
    # The record the document is a copy of (an invoice's id), where there is one.
    source_id: str | None
