"""Reimbursement claims: the patient's app files and follows them; insurers file paper
claims, work through their queue and decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from chalice.app import Blueprint
from pydantic import AwareDatetime, Field

from chalicelib.api.edge import INSURER, PATIENT, Call, route
from chalicelib.api.fields import Body, Cents, ListQuery, Text
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339, rfc3339_or_none
from chalicelib.domain.claims import DecisionRequest, Outcome, Status
from chalicelib.services import claims

if TYPE_CHECKING:
    from chalicelib.store.base import Page
    from chalicelib.store.claims import Claim

bp = Blueprint(__name__)


class ProofIn(Body):
    method: Literal["cash", "card", "transfer"]
    reference: Text | None = None
    paid_at: AwareDatetime


class PatientClaim(Body):
    invoice_id: Annotated[str, Field(min_length=1, max_length=40)]
    proof_of_payment: ProofIn


class PaperClaim(Body):
    qr: Annotated[str, Field(min_length=1, max_length=1000)]
    proof_of_payment: ProofIn


class DecisionIn(Body):
    outcome: Outcome
    reimbursed_cents: Cents | None = None
    reason: Text | None = None
    payment_reference: Text | None = None


class QueueQuery(ListQuery):
    status: Status | None = None
    overdue: bool | None = None


def claim_json(claim: Claim) -> dict[str, object]:
    proof = claim.proof
    decided = claim.status in ("reimbursed", "rejected")
    return {
        "id": claim.claim_id,
        "invoice_id": claim.invoice_id,
        "invoice_number": claim.invoice_number,
        "doctor_code": claim.doctor_code,
        "patient_matricule": claim.patient_matricule,
        "service_date": claim.service_date,
        "insurer": claim.insurer,
        "kind": claim.kind,
        "channel": claim.channel,
        "status": claim.status,
        "submitted_at": rfc3339(claim.submitted_at),
        "due_at": rfc3339(claim.due_at),
        "overdue": claim.overdue_at is not None and claim.status == "pending",
        "total_cents": int(claim.total_cents),
        "amount_claimed_cents": int(claim.amount_claimed_cents),
        "proof_of_payment": {
            "method": proof.method,
            "reference": proof.reference,
            "paid_at": rfc3339(proof.paid_at),
        }
        if proof
        else None,
        "decision": {
            "outcome": claim.status,
            "reimbursed_cents": int(claim.reimbursed_cents or 0),
            "reason": claim.reason,
            "payment_reference": claim.payment_reference,
            "decided_at": rfc3339_or_none(claim.decided_at),
        }
        if decided
        else None,
        "withdrawn_at": rfc3339_or_none(claim.decided_at) if claim.status == "withdrawn" else None,
    }


def _proof(body: ProofIn) -> claims.Proof:
    return claims.Proof(body.method, body.reference, body.paid_at)


def _page(page: Page[Claim]) -> dict[str, object]:
    return {"items": [claim_json(c) for c in page.items], "next_cursor": page.next_cursor}


@route(bp, "/patient/claims", method="POST", roles=PATIENT, status=201, idempotent=True)
def submit(call: Call) -> dict[str, object]:
    body = call.body(PatientClaim)
    return claim_json(claims.submit(call.me, body.invoice_id, _proof(body.proof_of_payment), clock.current()))


@route(bp, "/patient/claims", roles=PATIENT)
def patient_claims(call: Call) -> dict[str, object]:
    query = call.args(ListQuery)
    return _page(claims.for_patient(call.me, query.limit, query.cursor))


@route(bp, "/insurer/claims", method="POST", roles=INSURER, status=201, idempotent=True)
def file_paper(call: Call) -> dict[str, object]:
    body = call.body(PaperClaim)
    return claim_json(claims.file_paper(call.me, body.qr, _proof(body.proof_of_payment), clock.current()))


@route(bp, "/insurer/claims", roles=INSURER)
def insurer_claims(call: Call) -> dict[str, object]:
    query = call.args(QueueQuery)
    return _page(claims.queue(call.me, query.status, query.overdue, query.limit, query.cursor))


@route(bp, "/insurer/claims/{claim_id}/decision", method="POST", roles=INSURER)
def decide(call: Call) -> dict[str, object]:
    body = call.body(DecisionIn)
    request = DecisionRequest(body.outcome, body.reimbursed_cents, body.reason, body.payment_reference)
    return claim_json(claims.decide(call.me, call.params["claim_id"], request, clock.current()))
