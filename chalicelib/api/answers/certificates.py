"""Answers of the certificate routes: the doctor's and the insurer's views carry the
diagnosis, the patient's does not."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.answers.common import (
    Answer,
    CertificateId,
    Day,
    DoctorCode,
    DocumentId,
    Instant,
    Matricule,
    Page,
    PatientId,
    ShareCode,
)
from chalicelib.domain.certificate_terms import Kind, Status
from chalicelib.domain.insurers import Insurer


class Deadlines(Answer):
    employer_by: Annotated[
        Day, Field(description="The 3rd day of absence, or the next working day where it is not one.")
    ]
    insurer_by: Annotated[
        Day,
        Field(description="The 3rd working day from `start` (Luxembourg public holidays not counted)."),
    ]


class Links(Answer):
    pdf: Annotated[str, Field(examples=["/v1/patient/certificates/cit_01JD63E5F7G9H1J3K5M7N9P1Q3/pdf"])]


class PatientCertificate(Answer):
    """A certificate of incapacity for work, as its patient sees it: no diagnosis."""

    id: CertificateId
    kind: Kind
    start: Day
    end: Annotated[Day, Field(description="The last day of incapacity, included.")]
    outings_allowed: bool
    status: Annotated[
        Status, Field(description="`superseded`: a correction replaced it; `cancelled`: in its window.")
    ]
    patient_id: PatientId
    accident: bool
    insurer: Insurer
    doctor_code: DoctorCode
    practice_name: str
    issued_at: Instant
    deadlines: Deadlines
    replaces: CertificateId | None
    superseded_by: CertificateId | None
    acknowledged_at: Annotated[Instant | None, Field(description="When the insurer acknowledged receipt.")]
    qr: Annotated[
        str,
        Field(
            description="The signed token of its QR code (`DHN1:`, kind 4): id, insurer, issue "
            "date, start and end; never the diagnosis."
        ),
    ]
    links: Links


class PatientCertificatePage(Page):
    items: list[PatientCertificate]


class _Full(PatientCertificate):
    patient_matricule: Matricule
    diagnosis_code: Annotated[str, Field(examples=["J06.9"], description="ICD-10.")]
    late: Annotated[
        bool, Field(description="Transmitted (at `cancel_until`) after the end of `deadlines.insurer_by`.")
    ]
    cancel_until: Annotated[
        Instant, Field(description="The end of the cancel window; the insurer receives it then.")
    ]
    cancelled_at: Instant | None
    cancel_reason: str | None


class Vault(Answer):
    stored: bool
    document_id: DocumentId | None


class Certificate(_Full):
    """A certificate as its issuing doctor sees it, diagnosis included."""

    vault: Annotated[Vault, Field(description="The patient's sheet in the patient's record.")]


class CertificatePage(Page):
    items: list[Certificate]


class InsurerCertificate(_Full):
    """A certificate as its insurer received it, diagnosis included."""

    transmitted_at: Annotated[Instant, Field(description="When the insurer received it: `cancel_until`.")]


class InsurerCertificatePage(Page):
    items: list[InsurerCertificate]


class Acknowledgement(Answer):
    id: CertificateId
    acknowledged_at: Instant


class EmployerShare(Answer):
    code: ShareCode
    url: Annotated[str, Field(examples=["/v1/employer/certificates/q3Zk0vXh8mT2Lr6YcWb1Na"])]
    expires_at: Annotated[Instant, Field(description="30 days after sharing.")]
