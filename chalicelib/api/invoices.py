"""Invoices for practice software, the insurer's scan, and their JSON shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.edge import INSURER, PRACTICE, Call, route
from chalicelib.api.fields import (
    Body,
    Cents,
    Day,
    Instant,
    ListQuery,
    Matricule,
    PatientId,
    PaymentMethod,
    QrText,
    Text,
    rule,
)
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.insurers import Insurer
from chalicelib.domain.invoice_status import Status

if TYPE_CHECKING:
    from chalicelib.domain.invoices import Invoice
    from chalicelib.services import invoices

bp = Blueprint(__name__)

# RFC 3339 with an offset: a bare local time would be read as UTC, an hour or two off.
PaidAt = Annotated[
    Instant,
    Field(
        description="When the patient paid; now where absent.", json_schema_extra=rule("not in the future")
    ),
]


class LineIn(Body):
    code: Annotated[
        str,
        Field(
            min_length=1,
            max_length=16,
            description="A nomenclature code, case-insensitive.",
            examples=["C1"],
            json_schema_extra=rule("in the nomenclature, and valid on the service date"),
        ),
    ]
    quantity: Annotated[int, Field(ge=1, le=99)] = 1


class PaymentIn(Body):
    """What the patient paid at the desk."""

    method: PaymentMethod
    amount_cents: Annotated[
        Cents,
        Field(json_schema_extra=rule("at most what the patient owes: the total, or the patient's share")),
    ]
    paid_at: PaidAt | None = None


class NewInvoice(Body):
    patient_matricule: Matricule
    service_date: Annotated[
        Day,
        Field(
            json_schema_extra=rule(
                "not in the future, nor more than two years back, nor before the patient's birth"
            )
        ),
    ]
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=50)]
    payment: PaymentIn | None = None
    direct_payment: Annotated[
        bool,
        Field(
            description="PID: the insurer pays its share to the doctor; the patient owes only theirs.",
            json_schema_extra=rule("not for RCAM patients"),
        ),
    ] = False
    insurer: Annotated[
        Insurer | None,
        Field(
            description="An addition to the contract, for a patient not in the registry.",
            json_schema_extra=rule(
                "required for a patient not in the registry; for one in it, the registry's insurer"
            ),
        ),
    ] = None


class NewPayment(Body):
    amount_cents: Annotated[
        int, Field(ge=1, le=100_000_000, json_schema_extra=rule("at most what the patient still owes"))
    ]
    method: PaymentMethod
    paid_at: PaidAt | None = None


class Cancellation(Body):
    reason: Text


class Scan(Body):
    qr: QrText


class InvoiceQuery(ListQuery):
    from_: Annotated[Day | None, Field(alias="from", description="First issue date, inclusive.")] = None
    to: Annotated[
        Day | None,
        Field(description="Last issue date, inclusive.", json_schema_extra=rule("not before `from`")),
    ] = None
    patient_id: PatientId | None = None
    status: Status | None = None


def invoice_json(invoice: Invoice) -> dict[str, object]:
    base = f"/v1/invoices/{invoice.invoice_id}"
    return {
        "id": invoice.invoice_id,
        "number": invoice.number,
        "doctor_code": invoice.doctor_code,
        "patient_matricule": invoice.patient_matricule,
        "insurer": invoice.insurer,
        "service_date": invoice.service_date.isoformat(),
        "issued_at": rfc3339(invoice.issued_at),
        "status": invoice.status,
        "lines": [
            {
                "code": line.code,
                "label": line.label,
                "quantity": line.quantity,
                "unit_cents": line.unit_cents,
                "amount_cents": line.amount_cents,
                "reimbursable": line.reimbursable,
            }
            for line in invoice.lines
        ],
        "total_cents": invoice.total_cents,
        "insurer_share_cents": invoice.insurer_share_cents,
        "patient_share_cents": invoice.patient_share_cents,
        "paid_cents": invoice.paid_cents,
        "payments": [
            {"amount_cents": p.amount_cents, "method": p.method, "paid_at": rfc3339(p.paid_at)}
            for p in invoice.payments
        ],
        "direct_payment": invoice.direct_payment,
        "qr": invoice.qr,
        "vault": {"stored": invoice.document_id is not None, "document_id": invoice.document_id},
        "cancel_reason": invoice.cancel_reason,
        "claim": {
            "id": invoice.claim_id,
            "settled_cents": invoice.settled_cents,
            "settlement_reference": invoice.settlement_reference,
        }
        if invoice.claim_id
        else None,
        "links": {"pdf": f"{base}/pdf", "qr_svg": f"{base}/qr.svg"},
    }


def _payment(body: PaymentIn | NewPayment) -> invoices.PaymentRequest:
    from chalicelib.services import invoices

    return invoices.PaymentRequest(body.method, body.amount_cents, body.paid_at)


def _issued(call: Call, invoice_id: str) -> dict[str, object]:
    """The invoice a retried request issued first."""
    from chalicelib.services import invoices

    return invoice_json(invoices.issued(call.me, invoice_id))


@route(
    bp,
    "/invoices",
    method="POST",
    roles=PRACTICE,
    status=201,
    body=NewInvoice,
    answer="Invoice",
    replay=_issued,
    errors=(404, 409, 503),
)
def issue(call: Call) -> dict[str, object]:
    """Issue an invoice.

    Prices the lines from the nomenclature in force on the service date, splits the total
    (insurer 88 % of the reimbursable amount for an adult, 100 % under 18 on the service date,
    RCAM 85 %, rounded half up per invoice; CP1 to CP8 never reimbursed), numbers it
    `YYYY-NNNNNN` without gaps per doctor and year, signs the QR token and, where the patient
    opted in, puts a copy of the PDF in the patient's vault and notifies `invoice.issued`.
    A practice whose doctor is not registered is 404; numbering contended past its retries, 409;
    the vault not answering, 503 with Retry-After. Sent again with its Idempotency-Key after
    any failure, the request answers the invoice it issued, if it issued one.
    """
    from chalicelib.services import invoices

    body = call.body(NewInvoice)
    request = invoices.IssueRequest(
        patient_matricule=body.patient_matricule,
        service_date=body.service_date,
        lines=tuple(invoices.LineRequest(line.code, line.quantity) for line in body.lines),
        payment=_payment(body.payment) if body.payment else None,
        direct_payment=body.direct_payment,
        insurer=body.insurer,
    )
    return invoice_json(invoices.issue(call.me, request, clock.current(), call.once))


@route(bp, "/invoices", roles=PRACTICE, query=InvoiceQuery, answer="InvoicePage")
def list_invoices(call: Call) -> dict[str, object]:
    """The practice's invoices, newest first; each one listed is journaled for its patient.

    `from` and `to` are issue dates of the practice's calendar (Europe/Luxembourg). Every page
    reads a bounded number of invoices: `status=` alone, or with `from`/`to`, reads only the
    invoices it answers; `patient_id=` with `status=` reads a bounded number of the patient's
    invoices a page, so such a page may hold fewer than `limit`, or none, with a `next_cursor`
    that resumes right after the last invoice read. A list ends when `next_cursor` is null,
    never at a short page.
    """
    from chalicelib.services import invoices

    query = call.args(InvoiceQuery)
    page = invoices.list_for_practice(
        call.me,
        query.patient_id,
        query.status,
        query.from_,
        query.to,
        query.limit,
        query.cursor,
        clock.current(),
    )
    return {"items": [invoice_json(i) for i in page.items], "next_cursor": page.next_cursor}


@route(bp, "/invoices/{invoice_id}", roles=PRACTICE, answer="Invoice")
def get_invoice(call: Call) -> dict[str, object]:
    """One invoice of the practice; journaled for the patient."""
    from chalicelib.services import invoices

    return invoice_json(invoices.read(call.me, call.params["invoice_id"], clock.current()))


@route(bp, "/invoices/{invoice_id}/pdf", roles=PRACTICE, binary="application/pdf")
def invoice_pdf(call: Call) -> Response:
    """The A4 invoice in French, with its QR code.

    The request must send `Accept: application/pdf` (or `*/*`): API Gateway returns binary
    bodies only then. Any other Accept header, or none, is 406.
    """
    from chalicelib.services import invoices

    invoice = invoices.read(call.me, call.params["invoice_id"], clock.current())
    return Response(
        invoices.render_pdf(invoice),
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{invoice.number}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@route(bp, "/invoices/{invoice_id}/qr.svg", roles=PRACTICE, text="image/svg+xml")
def invoice_qr(call: Call) -> Response:
    """The invoice's QR code as SVG, quiet zone included."""
    from chalicelib.services import invoices

    invoice = invoices.read(call.me, call.params["invoice_id"], clock.current())
    return Response(invoices.qr_svg(invoice), headers={"Content-Type": "image/svg+xml"})


@route(
    bp,
    "/invoices/{invoice_id}/payments",
    method="POST",
    roles=PRACTICE,
    status=201,
    body=NewPayment,
    answer="Invoice",
    idempotent=True,
    errors=(409,),
)
def add_payment(call: Call) -> dict[str, object]:
    """Record a payment by the patient.

    `status` is `paid` once the patient owes nothing. A cancelled or claimed invoice, or one
    changed meanwhile by another payment, is 409.
    """
    from chalicelib.services import invoices

    body = call.body(NewPayment)
    return invoice_json(
        invoices.add_payment(call.me, call.params["invoice_id"], _payment(body), clock.current())
    )


@route(
    bp,
    "/invoices/{invoice_id}/cancel",
    method="POST",
    roles=PRACTICE,
    body=Cancellation,
    answer="Invoice",
    errors=(409,),
)
def cancel(call: Call) -> dict[str, object]:
    """Cancel an invoice.

    A pending claim is withdrawn with it (`claim.withdrawn`). Cancelling a cancelled invoice
    answers it unchanged; once the insurer has decided its claim, 409.
    """
    from chalicelib.services import invoices

    body = call.body(Cancellation)
    return invoice_json(invoices.cancel(call.me, call.params["invoice_id"], body.reason, clock.current()))


@route(bp, "/insurer/scan", method="POST", roles=INSURER, body=Scan, answer="Invoice", errors=(404,))
def scan(call: Call) -> dict[str, object]:
    """Read the invoice behind a QR code.

    Only an invoice that names the caller's insurer (else 404). A forged or altered token is
    422 on `qr`, with one message whatever the cause.
    """
    from chalicelib.services import invoices

    return invoice_json(invoices.scan(call.me, call.body(Scan).qr, clock.current()))
