"""A document in a patient's record, as its metadata describes it; the bytes live in S3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

DocumentType = Literal[
    "invoice",
    "prescription",
    "certificate",
    "vaccination",
    "lab_result",
    "report",
    "imaging",
    "patient_summary",
    "other",
]
# What a practice uploads; the other types land in the record by themselves, from their own
# signed path.
UploadedType = Literal["lab_result", "report", "imaging", "patient_summary", "other"]
Confidentiality = Literal["normal", "restricted"]
Status = Literal["pending_upload", "available"]

PDF = "application/pdf"
# A PDF starts with these bytes whatever its version.
PDF_MAGIC = b"%PDF-"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    # The owner's matricule: whose record holds the document. It never reaches an object key.
    owner: str
    document_id: str
    type: str
    title: str
    # The practice's name, as the patient is shown it.
    author: str
    created_at: datetime
    size_bytes: int
    object_key: str
    content_type: str
    # The record the document is a copy of (an invoice's id), where there is one.
    source_id: str | None
    # The doctor code of the practice that wrote it, which may always read it (unless
    # blocked); None for a document no practice wrote.
    author_code: str | None = None
    confidentiality: Confidentiality = "normal"
    # Hidden by the patient: seen by its author alone among professionals.
    hidden: bool = False
    status: Status = "available"
    # The SHA-256 (hex) an upload announced; the stored object must match it.
    sha256: str | None = None
