"""A reimbursement claim and its rules: when it is due, what proof of payment is believable,
what an insurer's decision may say, and what the events about a claim tell. Pure: no I/O, no
clock of its own.

A claim is `pending` until the insurer decides (`reimbursed` or `rejected`); a practice that
cancels the invoice of a pending claim `withdraws` it. Nothing leaves a decided claim.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.claim_terms import Channel, Kind, Outcome, Status
from chalicelib.domain.events import Event

if TYPE_CHECKING:
    from chalicelib.domain.invoices import Invoice

DUE_AFTER = timedelta(days=5)


@dataclass(frozen=True)
class Proof:
    """The proof of payment, as the patient states it."""

    method: str
    reference: str | None
    paid_at: datetime


@dataclass(frozen=True)
class Claim:
    claim_id: str
    invoice_id: str
    kind: Kind
    channel: Channel
    status: Status
    insurer: str
    # What the insurer needs to decide, copied from the invoice so a queue page is one read.
    invoice_number: str
    doctor_code: str
    patient_matricule: str
    service_date: date
    total_cents: int
    amount_claimed_cents: int
    proof: Proof | None
    submitted_at: datetime
    due_at: datetime
    overdue_at: datetime | None = None
    # When the insurer decided, or when the claim was withdrawn.
    decided_at: datetime | None = None
    reimbursed_cents: int | None = None
    reason: str | None = None
    payment_reference: str | None = None


def due_at(submitted_at: datetime) -> datetime:
    """Insurers answer within five days of submission; later than that the claim is overdue."""
    return submitted_at + DUE_AFTER


def open_claim(
    claim_id: str, invoice: Invoice, kind: Kind, channel: Channel, proof: Proof | None, at: datetime
) -> Claim:
    """A new pending claim on `invoice` for the insurer's share."""
    return Claim(
        claim_id,
        invoice_id=invoice.invoice_id,
        kind=kind,
        channel=channel,
        status="pending",
        insurer=invoice.insurer,
        invoice_number=invoice.number,
        doctor_code=invoice.doctor_code,
        patient_matricule=invoice.patient_matricule,
        service_date=invoice.service_date,
        total_cents=invoice.total_cents,
        amount_claimed_cents=invoice.insurer_share_cents,
        proof=proof,
        submitted_at=at,
        due_at=due_at(at),
    )


def check_paid_at(paid_at: datetime, paid_on: date, service_date: date, now: datetime) -> None:
    """A payment cannot come from the future, nor before the care it pays for. `paid_on` is
    the practice's calendar date of `paid_at`, the calendar the service date is written in."""
    if paid_at > now:
        raise ValueError("is in the future")
    if paid_on < service_date:
        raise ValueError("is before the service date")


@dataclass(frozen=True)
class Decision:
    """What an insurer decided, complete: `reimbursed_cents` is 0 for a rejection."""

    outcome: Outcome
    reimbursed_cents: int
    reason: str | None
    payment_reference: str | None


@dataclass(frozen=True)
class DecisionRequest:
    outcome: Outcome
    reimbursed_cents: int | None
    reason: str | None
    payment_reference: str | None


class InvalidDecision(ValueError):
    """A decision that breaks a rule; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def settle(request: DecisionRequest, claimed_cents: int) -> Decision:
    """The decision as it will be recorded. A reimbursement without an amount pays what was
    claimed; it never pays more. A rejection gives a reason and pays nothing."""
    if request.outcome == "rejected":
        if request.reason is None:
            raise InvalidDecision("reason", "is required to reject a claim")
        if request.reimbursed_cents is not None:
            raise InvalidDecision("reimbursed_cents", "must be absent when the claim is rejected")
        if request.payment_reference is not None:
            raise InvalidDecision("payment_reference", "must be absent when the claim is rejected")
        return Decision("rejected", 0, request.reason, None)
    amount = claimed_cents if request.reimbursed_cents is None else request.reimbursed_cents
    if amount < 1:
        raise InvalidDecision("reimbursed_cents", "must be at least 1; reject the claim instead")
    if amount > claimed_cents:
        raise InvalidDecision("reimbursed_cents", f"exceeds the insurer's share ({claimed_cents} cents)")
    return Decision("reimbursed", amount, request.reason, request.payment_reference)


def decided(claim: Claim, decision: Decision, at: datetime) -> Claim:
    """`claim` as the decision leaves it."""
    return replace(
        claim,
        status=decision.outcome,
        decided_at=at,
        reimbursed_cents=decision.reimbursed_cents,
        reason=decision.reason,
        payment_reference=decision.payment_reference,
    )


def recorded(claim: Claim) -> Decision | None:
    """The decision a claim records; None while it is pending or once it was withdrawn."""
    match claim.status:
        case "reimbursed" | "rejected" as outcome:
            return Decision(outcome, claim.reimbursed_cents or 0, claim.reason, claim.payment_reference)
        case _:
            return None


def event(claim: Claim, type: str, event_id: str, at: datetime) -> Event:
    """`claim.submitted` or `claim.decided`: for the patient, and for the practice too where
    the insurer pays the doctor."""
    data: dict[str, Any] = {
        "claim_id": claim.claim_id,
        "invoice_id": claim.invoice_id,
        "invoice_number": claim.invoice_number,
        "insurer": claim.insurer,
        "kind": claim.kind,
        "status": claim.status,
        "amount_claimed_cents": claim.amount_claimed_cents,
        "due_at": rfc3339(claim.due_at),
    }
    if claim.decided_at is not None:
        data["reimbursed_cents"] = claim.reimbursed_cents or 0
        data["decided_at"] = rfc3339(claim.decided_at)
    return Event(
        event_id,
        type,
        at,
        data,
        patient=claim.patient_matricule,
        doctor_code=claim.doctor_code if claim.kind == "direct_payment" else None,
    )
