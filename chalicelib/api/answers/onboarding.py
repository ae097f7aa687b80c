"""Answers of the operator's routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.answers.common import (
    Answer,
    DoctorCode,
    Instant,
    Matricule,
    PatientId,
    PharmacyCode,
    Token,
)
from chalicelib.domain.insurers import Insurer


class OnboardedDoctor(Answer):
    doctor_code: DoctorCode
    enrolment_code: Annotated[
        str,
        Field(
            description="Enrols the doctor's first PC; once, within 24 h.", examples=["7K3M-Q9R2-T4V6-W8X0"]
        ),
    ]
    enrolment_expires_at: Instant


class Patient(Answer):
    """A patient as the registry records them."""

    patient_id: PatientId
    matricule: Matricule
    name: str
    insurer: Insurer
    digital_admin: Annotated[
        Literal["opted_in", "opted_out"],
        Field(description="Whether the patient receives invoices and documents in the vault."),
    ]
    app_active: bool
    guardians: Annotated[
        list[Matricule], Field(description="Those holding parental authority over a minor, by matricule.")
    ]


class OnboardedPharmacy(Answer):
    pharmacy_code: PharmacyCode
    enrolment_code: Annotated[
        str,
        Field(
            description="Enrols the pharmacy's first PC; once, within 24 h.",
            examples=["7K3M-Q9R2-T4V6-W8X0"],
        ),
    ]
    enrolment_expires_at: Instant


__all__ = ["OnboardedDoctor", "OnboardedPharmacy", "Patient", "Token"]
