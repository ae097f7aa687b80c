"""A prescription as a plain record, and its state machine without I/O.

    ready ──accept──▶ in_progress ──close──▶ completed   (no repeat left)
      ▲                  │   │
      └──reject──────────┘   └──close──▶ ready, repeats_left − 1   (an "R" repeat)
    ready ──cancel (the prescribing doctor)──▶ cancelled
    ready, past expires_on ──the daily job, or any accept──▶ expired

Exactly one pharmacy holds an `in_progress` prescription: it accepted it with the QR code's
access code and was given a secret (kept here as its hash only), which every later step must
show. A reject, or a close, voids the secret. Within one dispensing the pharmacy may dispense
in several steps, never more packs of an item than prescribed, and substitutes only where the
doctor allowed it; a close ends that dispensing, so nothing is dispensed twice for one round.

Each step returns the next record, with `version` one higher: the store writes it only over
the version it was computed from, so two concurrent steps cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from chalicelib.domain.calendar import local_date
from chalicelib.domain.prescription_terms import Status

if TYPE_CHECKING:
    from chalicelib.domain import medications

Refusal = Literal["conflict", "expired", "forbidden"]


class StepRefused(Exception):
    """The state machine refuses the step: `conflict` (its state forbids it), `expired`, or
    `forbidden` (a wrong or void secret)."""

    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.message = message


class InvalidItem(ValueError):
    """An item of a request breaks a rule; `field` names it as the request wrote it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Medication:
    code: str | None
    name: str


@dataclass(frozen=True)
class Item:
    medication: Medication
    # Packs.
    quantity: int
    dosage: str
    substitution_allowed: bool


@dataclass(frozen=True)
class Dispensed:
    """Packs of one item handed over, `substituted_with` another medication where allowed."""

    index: int
    quantity: int
    substituted_with: Medication | None = None


@dataclass(frozen=True)
class Hold:
    """The pharmacy holding an `in_progress` prescription, and the hash of its secret."""

    pharmacy_code: str
    secret_hash: str
    accepted_at: datetime


@dataclass(frozen=True)
class Round:
    """One closed dispensing: by whom, when, what, and the receipt the pharmacy was given."""

    number: int
    pharmacy_code: str
    closed_at: datetime
    dispensed: tuple[Dispensed, ...]
    receipt: str


@dataclass(frozen=True)
class Prescription:
    prescription_id: str
    doctor_code: str
    practice_name: str
    # The patient's matricule: no answer to a pharmacy and no event carries it.
    patient: str
    patient_id: str
    patient_name: str
    items: tuple[Item, ...]
    repeats: int
    repeats_left: int
    issued_at: datetime
    expires_on: date
    status: Status
    # The signed token of the QR code, and the hash of the access code it carries.
    qr: str
    access_hash: str
    document_id: str
    catalogue_version: str
    hold: Hold | None = None
    # What the holding pharmacy dispensed so far in the dispensing under way.
    dispensed: tuple[Dispensed, ...] = ()
    rounds: tuple[Round, ...] = ()
    cancel_reason: str | None = None
    # Why the last pharmacy that held it handed it back.
    reject_reason: str | None = None
    version: int = 0


def expiry(issued_at: datetime, valid_days: int) -> date:
    """`expires_on`: the Luxembourg date of issue plus `valid_days`, the last day it is valid."""
    return local_date(issued_at) + timedelta(days=valid_days)


def past_expiry(prescription: Prescription, today: date) -> bool:
    return today > prescription.expires_on


def check_items(items: Sequence[Item], repeats: int, catalogue: medications.Catalogue) -> None:
    """A code given must be in the catalogue; repeats only for "R" medicines. InvalidItem
    names the first item that breaks a rule."""
    for i, item in enumerate(items):
        code = item.medication.code
        if code is None:
            continue
        found = catalogue.find(code)
        if found is None:
            raise InvalidItem(f"items[{i}].medication.code", f"is not in the catalogue {catalogue.version}")
        if repeats and not found.repeatable:
            raise InvalidItem(f"items[{i}].medication.code", "is not an R medicine: it cannot be repeated")


def accept(prescription: Prescription, pharmacy_code: str, secret_hash: str, now: datetime) -> Prescription:
    """The prescription held by `pharmacy_code`, whose secret hashes to `secret_hash`. The
    pharmacy that holds it may accept it again: its answer, the one place the secret is
    shown, may have been lost, and without it the prescription would stay held for good. It
    gets a new secret, the old one is void, and what it handed over so far stays counted."""
    status = prescription.status
    if status == "expired" or (status == "ready" and past_expiry(prescription, local_date(now))):
        raise StepRefused("expired", f"the prescription expired after {prescription.expires_on.isoformat()}")
    if status == "in_progress":
        hold = prescription.hold
        if hold is None or hold.pharmacy_code != pharmacy_code:
            raise StepRefused("conflict", "a pharmacy holds this prescription")
        return replace(
            prescription,
            hold=replace(hold, secret_hash=secret_hash),
            version=prescription.version + 1,
        )
    if status != "ready":
        raise StepRefused("conflict", f"the prescription is {status}")
    return replace(
        prescription,
        status="in_progress",
        hold=Hold(pharmacy_code, secret_hash, now),
        dispensed=(),
        version=prescription.version + 1,
    )


def check_holder(prescription: Prescription, pharmacy_code: str, secret_hash: str) -> Hold:
    """The hold, where `pharmacy_code` holds the prescription and the secret is its own."""
    import hmac  # hashlib costs the cold start a few milliseconds; a pharmacy step pays it

    hold = prescription.hold
    if (
        prescription.status != "in_progress"
        or hold is None
        or hold.pharmacy_code != pharmacy_code
        or not hmac.compare_digest(hold.secret_hash, secret_hash)
    ):
        raise StepRefused("forbidden", "the secret is wrong or void")
    return hold


def dispense(
    prescription: Prescription, pharmacy_code: str, secret_hash: str, lines: Sequence[Dispensed]
) -> Prescription:
    """What the holder hands over now, added to what it dispensed before in this dispensing."""
    check_holder(prescription, pharmacy_code, secret_hash)
    given = dict.fromkeys(range(len(prescription.items)), 0)
    for line in prescription.dispensed:
        given[line.index] += line.quantity
    for i, line in enumerate(lines):
        if line.index not in given:
            raise InvalidItem(f"items[{i}].index", f"the prescription has {len(given)} items")
        item = prescription.items[line.index]
        if line.substituted_with is not None and not item.substitution_allowed:
            raise InvalidItem(f"items[{i}].substituted_with", f"item {line.index} may not be substituted")
        given[line.index] += line.quantity
        if given[line.index] > item.quantity:
            raise InvalidItem(
                f"items[{i}].quantity",
                f"more than the {item.quantity} packs prescribed for item {line.index}",
            )
    return replace(
        prescription, dispensed=prescription.dispensed + tuple(lines), version=prescription.version + 1
    )


def next_round(prescription: Prescription) -> int:
    """The number of the dispensing under way (1 the first): the receipt names it."""
    return len(prescription.rounds) + 1


def close(
    prescription: Prescription, pharmacy_code: str, secret_hash: str, receipt: str, now: datetime
) -> Prescription:
    """End the dispensing under way: completed, or ready again for a repeat (expired instead
    where its last day has passed). The secret is void from then on."""
    check_holder(prescription, pharmacy_code, secret_hash)
    if not prescription.dispensed:
        raise StepRefused("conflict", "nothing was dispensed: reject the prescription instead")
    done = Round(next_round(prescription), pharmacy_code, now, prescription.dispensed, receipt)
    status: Status = "completed"
    repeats_left = prescription.repeats_left
    if repeats_left:
        repeats_left -= 1
        status = "expired" if past_expiry(prescription, local_date(now)) else "ready"
    return replace(
        prescription,
        status=status,
        repeats_left=repeats_left,
        hold=None,
        dispensed=(),
        rounds=(*prescription.rounds, done),
        version=prescription.version + 1,
    )


def reject(prescription: Prescription, pharmacy_code: str, secret_hash: str, reason: str) -> Prescription:
    """Hand the prescription back to the pool, before anything was dispensed."""
    check_holder(prescription, pharmacy_code, secret_hash)
    if prescription.dispensed:
        raise StepRefused("conflict", "packs were dispensed: close the dispensing instead")
    return replace(
        prescription, status="ready", hold=None, reject_reason=reason, version=prescription.version + 1
    )


def cancel(prescription: Prescription, reason: str) -> Prescription:
    """The prescribing doctor withdraws it, while no pharmacy holds it and it is not done."""
    if prescription.status != "ready":
        raise StepRefused("conflict", f"a prescription that is {prescription.status} cannot be cancelled")
    return replace(prescription, status="cancelled", cancel_reason=reason, version=prescription.version + 1)


def expire(prescription: Prescription, today: date) -> Prescription | None:
    """The prescription marked expired, where it is ready and past its last day; else None
    (one held by a pharmacy is left to finish what it accepted while valid)."""
    if prescription.status != "ready" or not past_expiry(prescription, today):
        return None
    return replace(prescription, status="expired", version=prescription.version + 1)
