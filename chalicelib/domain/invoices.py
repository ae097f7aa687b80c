"""The invoice (mémoire d'honoraires) as every layer sees it, its payments, its number, and
what issuing one reads first. Plain frozen records: the invoice store builds and reads its
items from these, so nothing above the store sees how an invoice is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain.invoice_status import Status
from chalicelib.domain.shares import Line


@dataclass(frozen=True)
class Payment:
    """What the patient paid, once; `paid_at` is an exact instant."""

    amount_cents: int
    method: str
    paid_at: datetime


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    number: str
    doctor_code: str
    # What the printed invoice shows of the practice and the patient, as on the day of issue.
    practice_name: str
    practice_specialty: str | None
    patient_matricule: str
    patient_name: str | None
    insurer: str
    service_date: date
    issued_at: datetime
    status: Status
    nomenclature_version: str
    lines: tuple[Line, ...]
    total_cents: int
    insurer_share_cents: int
    patient_share_cents: int
    paid_cents: int
    payments: tuple[Payment, ...]
    direct_payment: bool
    # The signed token printed as the QR code; empty on a draft, which is not yet signed.
    qr: str
    # The copy in the patient's vault, where the patient opted in.
    document_id: str | None
    cancel_reason: str | None = None
    cancelled_at: datetime | None = None
    # The invoice's one claim, and what the insurer paid the practice on it.
    claim_id: str | None = None
    settled_cents: int | None = None
    settlement_reference: str | None = None


def invoice_number(year: int, value: int) -> str:
    """`YYYY-NNNNNN`: the `value`-th invoice of the practice's `year`."""
    return f"{year}-{value:06d}"


def number_parts(number: str) -> tuple[int, int]:
    """The year and the place in that year's sequence of an invoice number."""
    year, _, value = number.partition("-")
    return int(year), int(value)


@dataclass(frozen=True)
class IssuingPractice:
    """The practice as the registry has it on the day of issue."""

    name: str
    specialty: str | None


@dataclass(frozen=True)
class InvoicedPatient:
    """The patient as the registry has them on the day of issue."""

    name: str
    insurer: str
    digital_admin: str


@dataclass(frozen=True)
class Snapshot:
    """What issuing an invoice reads first, in one round trip: the practice and the patient
    (None where not registered) and the last number of the practice's year so far."""

    practice: IssuingPractice | None
    patient: InvoicedPatient | None
    last_number: int
