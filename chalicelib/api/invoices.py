"""Invoices for practice software, the insurer's scan, and their JSON shape."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from chalice.app import Blueprint, Response
from pydantic import AwareDatetime, Field

from chalicelib.api.edge import INSURER, PRACTICE, Call, route
from chalicelib.api.fields import Body, Cents, ListQuery, Matricule, Text
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.insurers import Insurer
from chalicelib.domain.invoice_status import Status
from chalicelib.services import invoices

if TYPE_CHECKING:
    from chalicelib.store.invoices import Invoice

bp = Blueprint(__name__)

Method = Literal["cash", "card", "transfer"]


class LineIn(Body):
    code: Annotated[str, Field(min_length=1, max_length=16)]
    quantity: Annotated[int, Field(ge=1, le=99)] = 1


class PaymentIn(Body):
    method: Method
    amount_cents: Cents
    # RFC 3339 with an offset: a bare local time would be read as UTC, an hour or two off.
    paid_at: AwareDatetime | None = None


class NewInvoice(Body):
    patient_matricule: Matricule
    service_date: date
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=50)]
    payment: PaymentIn | None = None
    direct_payment: bool = False
    insurer: Insurer | None = None


class NewPayment(Body):
    amount_cents: Annotated[int, Field(ge=1, le=100_000_000)]
    method: Method
    # RFC 3339 with an offset: a bare local time would be read as UTC, an hour or two off.
    paid_at: AwareDatetime | None = None


class Cancellation(Body):
    reason: Text


class Scan(Body):
    qr: Annotated[str, Field(min_length=1, max_length=1000)]


class InvoiceQuery(ListQuery):
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    patient: Matricule | None = None
    status: Status | None = None


def invoice_json(invoice: Invoice) -> dict[str, object]:
    base = f"/v1/invoices/{invoice.invoice_id}"
    return {
        "id": invoice.invoice_id,
        "number": invoice.number,
        "doctor_code": invoice.doctor_code,
        "patient_matricule": invoice.patient_matricule,
        "insurer": invoice.insurer,
        "service_date": invoice.service_date,
        "issued_at": rfc3339(invoice.issued_at),
        "status": invoice.status,
        "lines": [
            {
                "code": line.code,
                "label": line.label,
                "quantity": int(line.quantity),
                "unit_cents": int(line.unit_cents),
                "amount_cents": int(line.amount_cents),
                "reimbursable": bool(line.reimbursable),
            }
            for line in invoice.lines
        ],
        "total_cents": int(invoice.total_cents),
        "insurer_share_cents": int(invoice.insurer_share_cents),
        "patient_share_cents": int(invoice.patient_share_cents),
        "paid_cents": int(invoice.paid_cents),
        "payments": [
            {"amount_cents": int(p.amount_cents), "method": p.method, "paid_at": rfc3339(p.paid_at)}
            for p in invoice.payments
        ],
        "direct_payment": bool(invoice.direct_payment),
        "qr": invoice.qr,
        "vault": {"stored": invoice.document_id is not None, "document_id": invoice.document_id},
        "cancel_reason": invoice.cancel_reason,
        "claim": {
            "id": invoice.claim_id,
            "settled_cents": None if invoice.settled_cents is None else int(invoice.settled_cents),
            "settlement_reference": invoice.settlement_reference,
        }
        if invoice.claim_id
        else None,
        "links": {"pdf": f"{base}/pdf", "qr_svg": f"{base}/qr.svg"},
    }


def _payment(body: PaymentIn | NewPayment) -> invoices.Payment:
    return invoices.Payment(body.method, body.amount_cents, body.paid_at)


@route(bp, "/invoices", method="POST", roles=PRACTICE, status=201, idempotent=True)
def issue(call: Call) -> dict[str, object]:
    body = call.body(NewInvoice)
    request = invoices.IssueRequest(
        patient_matricule=body.patient_matricule,
        service_date=body.service_date,
        lines=tuple(invoices.LineRequest(line.code, line.quantity) for line in body.lines),
        payment=_payment(body.payment) if body.payment else None,
        direct_payment=body.direct_payment,
        insurer=body.insurer,
    )
    return invoice_json(invoices.issue(call.me, request, clock.current()).invoice)


@route(bp, "/invoices", roles=PRACTICE)
def list_invoices(call: Call) -> dict[str, object]:
    query = call.args(InvoiceQuery)
    page = invoices.list_for_practice(
        call.me, query.patient, query.status, query.from_, query.to, query.limit, query.cursor
    )
    return {"items": [invoice_json(i) for i in page.items], "next_cursor": page.next_cursor}


@route(bp, "/invoices/{invoice_id}", roles=PRACTICE)
def get_invoice(call: Call) -> dict[str, object]:
    return invoice_json(invoices.for_practice(call.me, call.params["invoice_id"]))


@route(bp, "/invoices/{invoice_id}/pdf", roles=PRACTICE, binary="application/pdf")
def invoice_pdf(call: Call) -> Response:
    invoice = invoices.for_practice(call.me, call.params["invoice_id"])
    return Response(
        invoices.render_pdf(invoice),
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": f'inline; filename="{invoice.number}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@route(bp, "/invoices/{invoice_id}/qr.svg", roles=PRACTICE)
def invoice_qr(call: Call) -> Response:
    invoice = invoices.for_practice(call.me, call.params["invoice_id"])
    return Response(invoices.qr_svg(invoice), headers={"Content-Type": "image/svg+xml"})


@route(bp, "/invoices/{invoice_id}/payments", method="POST", roles=PRACTICE, status=201, idempotent=True)
def add_payment(call: Call) -> dict[str, object]:
    body = call.body(NewPayment)
    return invoice_json(
        invoices.add_payment(call.me, call.params["invoice_id"], _payment(body), clock.current())
    )


@route(bp, "/invoices/{invoice_id}/cancel", method="POST", roles=PRACTICE)
def cancel(call: Call) -> dict[str, object]:
    body = call.body(Cancellation)
    return invoice_json(invoices.cancel(call.me, call.params["invoice_id"], body.reason, clock.current()))


@route(bp, "/insurer/scan", method="POST", roles=INSURER)
def scan(call: Call) -> dict[str, object]:
    return invoice_json(invoices.scan(call.me, call.body(Scan).qr))
