"""Answers of the reimbursement routes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.answers.common import (
    Answer,
    Cents,
    ClaimId,
    Day,
    DoctorCode,
    Instant,
    InvoiceId,
    Matricule,
    Page,
)
from chalicelib.api.fields import PaymentMethod
from chalicelib.domain.claim_terms import Channel, Kind, Outcome, Status
from chalicelib.domain.insurers import Insurer


class ProofOfPayment(Answer):
    method: PaymentMethod
    reference: str | None
    paid_at: Instant


class Decision(Answer):
    outcome: Outcome
    reimbursed_cents: Annotated[Cents, Field(description="0 for a rejection.")]
    reason: str | None
    payment_reference: str | None
    decided_at: Instant | None


class Claim(Answer):
    """A request to the patient's insurer to reimburse a paid invoice (`reimbursement`), or to
    pay the doctor its share (`direct_payment`)."""

    id: ClaimId
    invoice_id: InvoiceId
    invoice_number: Annotated[str, Field(pattern="^[0-9]{4}-[0-9]{6}$", examples=["2026-000001"])]
    doctor_code: DoctorCode
    patient_matricule: Matricule
    service_date: Day
    insurer: Insurer
    kind: Kind
    channel: Annotated[
        Channel, Field(description="How it came in: the patient's app, paper by post, or the practice.")
    ]
    status: Status
    submitted_at: Instant
    due_at: Annotated[Instant, Field(description="5 days after submission.")]
    overdue: Annotated[bool, Field(description="Pending past `due_at`.")]
    total_cents: Cents
    amount_claimed_cents: Cents
    proof_of_payment: ProofOfPayment | None
    decision: Annotated[Decision | None, Field(description="Once reimbursed or rejected.")]
    withdrawn_at: Annotated[
        Instant | None, Field(description="When the practice's cancellation of the invoice withdrew it.")
    ]


class ClaimPage(Page):
    items: list[Claim]
