"""Answers of the prescription routes of practices and patients."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.answers.common import (
    Answer,
    Day,
    DoctorCode,
    DocumentId,
    Instant,
    Page,
    PatientId,
    PrescriptionId,
)
from chalicelib.domain.prescription_terms import Status


class Medication(Answer):
    code: Annotated[str | None, Field(description="Its code in the medication catalogue, if given.")]
    name: str


class PrescribedItem(Answer):
    medication: Medication
    quantity: Annotated[int, Field(ge=1, description="Packs.")]
    dosage: str
    substitution_allowed: bool


class PrescriptionLinks(Answer):
    pdf: Annotated[str, Field(examples=["/v1/prescriptions/rx_01JD63E5F7G9H1J3K5M7N9P1Q3/pdf"])]


class Prescriber(Answer):
    doctor_code: DoctorCode
    name: str


class PrescriptionFields(Answer):
    id: PrescriptionId
    status: Status
    issued_at: Instant
    expires_on: Annotated[
        Day, Field(description="The last day it may be accepted: the date of issue plus `valid_days`.")
    ]
    repeats: Annotated[int, Field(ge=0, le=5, description="An addition to the contract: repeats prescribed.")]
    repeats_left: Annotated[int, Field(ge=0, le=5)]
    items: list[PrescribedItem]
    qr: Annotated[
        str,
        Field(
            pattern="^DHN1:",
            description=(
                "The signed token in the QR code (`DHN1:` + Base45): it names the prescription and a "
                "random access code, nothing about the patient or the medication."
            ),
        ),
    ]
    document_id: Annotated[
        DocumentId, Field(description="An addition: its PDF copy in the patient's record.")
    ]


class Prescription(PrescriptionFields):
    """A prescription, as its practice sees it."""

    doctor_code: DoctorCode
    patient_id: PatientId
    catalogue_version: Annotated[str, Field(description="An addition: the catalogue that checked the codes.")]
    cancel_reason: str | None
    reject_reason: Annotated[
        str | None, Field(description="An addition: why the last pharmacy that held it handed it back.")
    ]
    links: PrescriptionLinks


class PrescriptionPage(Page):
    items: list[Prescription]


class PatientPrescription(PrescriptionFields):
    """A prescription, as the patient's app shows it."""

    doctor: Prescriber


class PatientPrescriptionPage(Page):
    items: list[PatientPrescription]
