"""Answers of the practice software's routes: enrolment, devices, the patient check."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.answers.common import (
    Answer,
    DeviceId,
    DoctorCode,
    Instant,
    Matricule,
    Page,
    PatientId,
    PharmacyCode,
    Secret,
    TokenId,
)
from chalicelib.domain.insurers import Insurer

DeviceRole = Literal["doctor", "assistant"]


class Enrolment(Answer):
    """The device and its token; a practice's device names its doctor, a pharmacy's its pharmacy."""

    device_id: DeviceId
    token: Secret
    token_id: TokenId
    expires_at: Instant
    role: Literal["doctor", "assistant", "pharmacist"]
    doctor_code: Annotated[DoctorCode | None, Field(description="A practice's device only.")] = None
    pharmacy_code: Annotated[PharmacyCode | None, Field(description="A pharmacy's device only.")] = None


class EnrolmentCode(Answer):
    enrolment_code: Annotated[
        str,
        Field(
            description="Valid for 24 h and once, read without regard to case, dashes or spaces.",
            examples=["7K3M-Q9R2-T4V6-W8X0"],
        ),
    ]
    expires_at: Instant


class Device(Answer):
    device_id: DeviceId
    name: str
    role: DeviceRole
    created_at: Instant
    revoked_at: Instant | None


class DevicePage(Page):
    items: list[Device]


class PatientStatus(Answer):
    """What a practice may know before billing a patient: no name, no history."""

    patient_id: Annotated[PatientId | None, Field(description="Null for a patient not in the registry.")]
    matricule: Matricule
    digital_admin: Annotated[
        Literal["opted_in", "opted_out", "unknown"],
        Field(description="`unknown` for a patient not in the registry."),
    ]
    app_active: bool
    insurer: Annotated[Insurer | None, Field(description="Null for a patient not in the registry.")]
