"""Certificates of incapacity for work (CIT) as plain records and rules: what a doctor may
issue, until when it may be cancelled, by when the employer and the insurer must have it, and
whether it reached the insurer late.

One certificate has three views. The insurer's carries the diagnosis; the employer's and the
patient's never do, and neither does anything else that leaves DHN (events, QR codes, URLs,
logs): `diagnosis_code` is read by the insurer's view, the issuing doctor's, and nothing else.

The certificate reaches its insurer when its cancel window closes (`cancel_until`): from then
on it is `transmitted`, and it can no longer be cancelled, only corrected by a new certificate
that `replaces` it (the replaced one becomes `superseded`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Final

from chalicelib.domain import working_days
from chalicelib.domain.calendar import local_date, rfc3339
from chalicelib.domain.certificate_terms import Kind, Status
from chalicelib.domain.events import Event

# The CNS's eCIT gives the doctor a short window to take a certificate back.
CANCEL_WINDOW: Final = timedelta(hours=1)
# An initial certificate may start at most this many days before the day it is issued.
INITIAL_BACKDATING_DAYS: Final = 2
# How long an employer's link works.
SHARE_LIFETIME: Final = timedelta(days=30)
# The working day by whose end the insurer must have the certificate, counted from its start.
INSURER_WORKING_DAYS: Final = 3
# The day of the absence by which the employer must have it (Code du travail, L. 121-6).
EMPLOYER_DAY: Final = 3
# One answer whether the id names nothing or another patient's or practice's certificate.
NOT_REPLACEABLE: Final = "names no certificate of this patient from this practice"
# ICD-10: a chapter letter and two digits (A00 to Z99), then optionally a dot and one or two
# characters of the subcategory (J06.9, S52.51); written without the dot, it is put back.
_ICD10: Final = re.compile(r"([A-Z][0-9]{2})(?:\.?([0-9A-Z]{1,2}))?")


class InvalidCertificate(ValueError):
    """A request that breaks a rule; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Deadlines:
    # The employer must have the certificate by the end of this day.
    employer_by: date
    # The insurer must have it by the end of this day; after it the certificate is late.
    insurer_by: date


@dataclass(frozen=True)
class Certificate:
    certificate_id: str
    doctor_code: str
    practice_name: str
    patient_matricule: str
    patient_id: str
    patient_name: str
    insurer: str
    kind: Kind
    start: date
    end: date
    diagnosis_code: str
    outings_allowed: bool
    accident: bool
    replaces: str | None
    issued_at: datetime
    cancel_until: datetime
    deadlines: Deadlines
    late: bool
    status: Status = "issued"
    document_id: str | None = None
    qr: str = ""
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    superseded_by: str | None = None
    acknowledged_at: datetime | None = None

    def transmitted(self, now: datetime) -> bool:
        """Whether the insurer has it: once its cancel window closed, unless cancelled in it."""
        return self.status != "cancelled" and now >= self.cancel_until

    @property
    def transmitted_at(self) -> datetime:
        return self.cancel_until


@dataclass(frozen=True)
class EmployerShare:
    """A link the patient gave an employer. Only a hash of its code is kept."""

    code_hash: str
    certificate_id: str
    patient_matricule: str
    employer_name: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def opens(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


def diagnosis_code(raw: str) -> str:
    """An ICD-10 code as stored: upper case, with its dot (`j069` → `J06.9`)."""
    found = _ICD10.fullmatch(raw.strip().upper())
    if found is None:
        raise InvalidCertificate(
            "diagnosis_code", "must be an ICD-10 code: A00 to Z99, then optionally . and 1 or 2 characters"
        )
    category, sub = found.groups()
    return f"{category}.{sub}" if sub else category


def check_period(kind: Kind, start: date, end: date, today: date) -> None:
    """`end` not before `start`, nor more than a year after it; an initial certificate
    starts at most two days before `today` (for a correction: the day the certificate it
    replaces was issued)."""
    if end < start:
        raise InvalidCertificate("end", "must not be before start")
    if end > _one_year_after(start):
        raise InvalidCertificate("end", "must be at most one year after start")
    if kind == "initial" and start < today - timedelta(days=INITIAL_BACKDATING_DAYS):
        raise InvalidCertificate(
            "start", f"an initial certificate starts at most {INITIAL_BACKDATING_DAYS} days back"
        )


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February: a year later is 28 February
        return day.replace(year=day.year + 1, day=28)


def deadlines(start: date) -> Deadlines:
    """The employer's deadline is the 3rd day of the absence, moved to the next working day
    where it is not one; the insurer's is the end of the 3rd working day from `start`."""
    employer = working_days.on_or_after(start + timedelta(days=EMPLOYER_DAY - 1))
    return Deadlines(employer, working_days.nth_working_day(start, INSURER_WORKING_DAYS))


def cancel_until(issued_at: datetime, window: timedelta = CANCEL_WINDOW) -> datetime:
    return issued_at + window


def late(transmitted_at: datetime, due: Deadlines) -> bool:
    """Transmitted after the end of the insurer's last day (a Luxembourg date)."""
    return local_date(transmitted_at) > due.insurer_by


def cancelled(certificate: Certificate, reason: str, now: datetime) -> Certificate:
    """The certificate taken back in its window; ValueError once the window closed."""
    if now >= certificate.cancel_until:
        raise ValueError("the cancel window has closed; issue a correction that replaces it")
    return replace(certificate, status="cancelled", cancelled_at=now, cancel_reason=reason)


def check_replaceable(replaced: Certificate, matricule: str, doctor_code: str) -> None:
    """A correction replaces a certificate of the same patient from the same practice that
    is still in force."""
    if replaced.patient_matricule != matricule or replaced.doctor_code != doctor_code:
        raise InvalidCertificate("replaces", NOT_REPLACEABLE)
    if replaced.status != "issued":
        raise InvalidCertificate("replaces", f"the certificate it names is {replaced.status}")


def event(certificate: Certificate, type: str, event_id: str, at: datetime) -> Event:
    """A certificate event, to the patient: no diagnosis, no matricule, no name."""
    return Event(
        event_id,
        type,
        at,
        {
            "certificate_id": certificate.certificate_id,
            "patient_id": certificate.patient_id,
            "kind": certificate.kind,
            "start": certificate.start.isoformat(),
            "end": certificate.end.isoformat(),
            "status": certificate.status,
            "insurer": certificate.insurer,
            "document_id": certificate.document_id,
            "acknowledged_at": None
            if certificate.acknowledged_at is None
            else rfc3339(certificate.acknowledged_at),
        },
        patient=certificate.patient_matricule,
    )
