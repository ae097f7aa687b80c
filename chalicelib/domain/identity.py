"""Who may call: the roles, a doctor's practice and its devices, the codes that enrol a device
and the bearer credentials, as plain records.

Credentials and enrolment codes carry the SHA-256 of their secret, never the secret itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Role = Literal["operator", "doctor", "assistant", "patient", "insurer"]


@dataclass(frozen=True)
class Doctor:
    doctor_code: str
    name: str
    specialty: str | None
    iban: str | None
    created_at: datetime


@dataclass(frozen=True)
class EnrolmentCode:
    """Single-use: spent by the device it enrols, useless after `expires_at`."""

    code_hash: str
    doctor_code: str
    role: Role
    # The device's name when the doctor chose it; else the device names itself.
    name: str | None
    expires_at: datetime


@dataclass(frozen=True)
class Device:
    """One PC or assistant of a practice; all of them are billed under the one doctor."""

    doctor_code: str
    device_id: str
    name: str
    role: Role
    token_hash: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Credential:
    """A bearer token's hash and whom it speaks for: a device of a practice, a patient or an
    insurer."""

    token_hash: str
    role: Role
    created_at: datetime
    doctor_code: str | None = None
    device_id: str | None = None
    matricule: str | None = None
    insurer: str | None = None
