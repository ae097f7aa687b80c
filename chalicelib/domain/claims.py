"""The rules of a reimbursement claim: when it is due, what proof of payment is believable, and
what an insurer's decision may say. Pure: no I/O, no clock of its own.

A claim is `pending` until the insurer decides (`reimbursed` or `rejected`); a practice that
cancels the invoice of a pending claim `withdraws` it. Nothing leaves a decided claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

Kind = Literal["reimbursement", "direct_payment"]
# How the claim reached the insurer: the patient's app, the printed invoice by post, or the
# practice itself at issuance (direct payment).
Channel = Literal["app", "paper", "practice"]
Status = Literal["pending", "reimbursed", "rejected", "withdrawn"]
Outcome = Literal["reimbursed", "rejected"]

DUE_AFTER = timedelta(days=5)


def due_at(submitted_at: datetime) -> datetime:
    """Insurers answer within five days of submission; later than that the claim is overdue."""
    return submitted_at + DUE_AFTER


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
