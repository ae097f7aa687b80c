"""Reimbursement claims: the patient's app files and follows them; insurers file paper
claims, work through their queue and decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.edge import INSURER, PATIENT, Call, route
from chalicelib.api.fields import Body, Cents, Flag, Instant, ListQuery, PaymentMethod, QrText, Text, rule
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339, rfc3339_or_none
from chalicelib.domain.claim_terms import Outcome, Status

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page
    from chalicelib.domain.claims import Claim, Proof

bp = Blueprint(__name__)


class ProofIn(Body):
    method: PaymentMethod
    reference: Text | None = None
    paid_at: Annotated[
        Instant, Field(json_schema_extra=rule("not in the future, nor before the invoice's service date"))
    ]


class PatientClaim(Body):
    invoice_id: Annotated[
        str,
        Field(
            min_length=1,
            max_length=40,
            examples=["inv_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z"],
            json_schema_extra=rule("an invoice of the patient that is paid and not cancelled"),
        ),
    ]
    proof_of_payment: ProofIn


class PaperClaim(Body):
    qr: Annotated[
        QrText,
        Field(json_schema_extra=rule("signed by DHN, for an invoice that is paid and not cancelled")),
    ]
    proof_of_payment: ProofIn


class DecisionIn(Body):
    outcome: Outcome
    reimbursed_cents: Annotated[
        Cents | None,
        Field(
            description="What the insurer pays; the amount claimed where absent.",
            json_schema_extra=rule(
                "at least 1 and at most the amount claimed, when reimbursed; absent when rejected"
            ),
        ),
    ] = None
    reason: Annotated[Text | None, Field(json_schema_extra=rule("required to reject"))] = None
    payment_reference: Annotated[Text | None, Field(json_schema_extra=rule("absent when rejected"))] = None


class QueueQuery(ListQuery):
    status: Status | None = None
    overdue: Annotated[
        Flag | None,
        Field(
            description="Pending claims past their due date (true), or not yet (false).",
            json_schema_extra=rule("with `status` pending or absent"),
        ),
    ] = None


def claim_json(claim: Claim) -> dict[str, object]:
    proof = claim.proof
    decided = claim.status in ("reimbursed", "rejected")
    return {
        "id": claim.claim_id,
        "invoice_id": claim.invoice_id,
        "invoice_number": claim.invoice_number,
        "doctor_code": claim.doctor_code,
        "patient_matricule": claim.patient_matricule,
        "service_date": claim.service_date.isoformat(),
        "insurer": claim.insurer,
        "kind": claim.kind,
        "channel": claim.channel,
        "status": claim.status,
        "submitted_at": rfc3339(claim.submitted_at),
        "due_at": rfc3339(claim.due_at),
        "overdue": claim.overdue_at is not None and claim.status == "pending",
        "total_cents": claim.total_cents,
        "amount_claimed_cents": claim.amount_claimed_cents,
        "proof_of_payment": {
            "method": proof.method,
            "reference": proof.reference,
            "paid_at": rfc3339(proof.paid_at),
        }
        if proof
        else None,
        "decision": {
            "outcome": claim.status,
            "reimbursed_cents": claim.reimbursed_cents or 0,
            "reason": claim.reason,
            "payment_reference": claim.payment_reference,
            "decided_at": rfc3339_or_none(claim.decided_at),
        }
        if decided
        else None,
        "withdrawn_at": rfc3339_or_none(claim.decided_at) if claim.status == "withdrawn" else None,
    }


def _proof(body: ProofIn) -> Proof:
    from chalicelib.domain.claims import Proof

    return Proof(body.method, body.reference, body.paid_at)


def _page(page: Page[Claim]) -> dict[str, object]:
    return {"items": [claim_json(c) for c in page.items], "next_cursor": page.next_cursor}


def _filed(call: Call, claim_id: str) -> dict[str, object]:
    """The claim a retried request filed first."""
    from chalicelib.services import claims

    return claim_json(claims.filed(call.me, claim_id))


@route(
    bp,
    "/patient/claims",
    method="POST",
    roles=PATIENT,
    status=201,
    body=PatientClaim,
    answer="Claim",
    replay=_filed,
    errors=(404, 409),
)
def submit(call: Call) -> dict[str, object]:
    """Ask the insurer to reimburse a paid invoice.

    One claim per invoice: a second is 409. Due 5 days after submission; the insurer is told
    (`claim.submitted`).
    """
    from chalicelib.services import claims

    body = call.body(PatientClaim)
    return claim_json(
        claims.submit(call.me, body.invoice_id, _proof(body.proof_of_payment), clock.current(), call.once)
    )


@route(bp, "/patient/claims", roles=PATIENT, query=ListQuery, answer="ClaimPage")
def patient_claims(call: Call) -> dict[str, object]:
    """The patient's claims, newest first."""
    from chalicelib.services import claims

    query = call.args(ListQuery)
    return _page(claims.for_patient(call.me, query.limit, query.cursor))


@route(
    bp,
    "/insurer/claims",
    method="POST",
    roles=INSURER,
    status=201,
    body=PaperClaim,
    answer="Claim",
    replay=_filed,
    errors=(404, 409),
)
def file_paper(call: Call) -> dict[str, object]:
    """A claim from a printed invoice that arrived by post.

    Only for an invoice that names the caller's insurer (else 404); one claim per invoice.
    """
    from chalicelib.services import claims

    body = call.body(PaperClaim)
    return claim_json(
        claims.file_paper(call.me, body.qr, _proof(body.proof_of_payment), clock.current(), call.once)
    )


@route(bp, "/insurer/claims", roles=INSURER, query=QueueQuery, answer="ClaimPage")
def insurer_claims(call: Call) -> dict[str, object]:
    """The insurer's own claims, oldest first; another insurer's never."""
    from chalicelib.services import claims

    query = call.args(QueueQuery)
    return _page(
        claims.queue(call.me, query.status, query.overdue, query.limit, query.cursor, clock.current())
    )


@route(
    bp,
    "/insurer/claims/{claim_id}/decision",
    method="POST",
    roles=INSURER,
    body=DecisionIn,
    answer="Claim",
    errors=(409,),
)
def decide(call: Call) -> dict[str, object]:
    """Reimburse or reject a claim.

    The same decision again answers 200 unchanged; a different one, or one on a withdrawn
    claim, is 409. Notifies the patient (`claim.decided`) and, for direct payment, the practice.
    """
    from chalicelib.domain.claims import DecisionRequest
    from chalicelib.services import claims

    body = call.body(DecisionIn)
    request = DecisionRequest(body.outcome, body.reimbursed_cents, body.reason, body.payment_reference)
    return claim_json(claims.decide(call.me, call.params["claim_id"], request, clock.current()))
