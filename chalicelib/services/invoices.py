"""Issuing invoices (mémoires d'honoraires) and everything a practice or an insurer does with
one afterwards: read, list, print, pay, cancel, scan. An invoice is the first kind of signed
document: its rules are here, the path it takes is `services.signed_documents`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.cursor import Page
from chalicelib.core.errors import Conflict, NotFound, Unprocessable
from chalicelib.core.observability import CLAIMS_SUBMITTED, INVOICES_ISSUED, metric
from chalicelib.domain import claims as claim_rules
from chalicelib.domain import invoice_status, matricule, nomenclature, qr_token, service_date, shares
from chalicelib.domain.calendar import LUXEMBOURG, local_date
from chalicelib.domain.claims import Claim
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.domain.invoice_status import Status
from chalicelib.domain.invoices import Invoice, Payment, invoice_number, number_parts
from chalicelib.domain.journal import ObjectRef
from chalicelib.domain.shares import Line
from chalicelib.render import pdf as pdf_render
from chalicelib.render import qr as qr_render
from chalicelib.services import journal, signed_documents
from chalicelib.services.identity import Principal
from chalicelib.services.signed_documents import VaultCopy

# Concurrent issuances for one doctor each retry once per number taken before them.
MAX_NUMBER_ATTEMPTS = 64


@dataclass(frozen=True)
class LineRequest:
    code: str
    quantity: int


@dataclass(frozen=True)
class PaymentRequest:
    method: str
    amount_cents: int
    paid_at: datetime | None = None


@dataclass(frozen=True)
class IssueRequest:
    patient_matricule: str
    service_date: date
    lines: tuple[LineRequest, ...]
    payment: PaymentRequest | None
    direct_payment: bool
    insurer: str | None


def _price(request: IssueRequest) -> list[Line]:
    priced: list[Line] = []
    for i, line in enumerate(request.lines):
        try:
            act = nomenclature.act(line.code, request.service_date)
        except ValueError as exc:
            raise Unprocessable.field(f"lines[{i}].code", str(exc)) from exc
        priced.append(shares.priced_line(act, line.quantity))
    return priced


def _insurer(request: IssueRequest, registered: str | None) -> str:
    if registered is None:
        if request.insurer is None:
            raise Unprocessable.field("insurer", "is required for a patient not in the registry")
        return request.insurer
    if request.insurer is not None and request.insurer != registered:
        raise Unprocessable.field("insurer", "differs from the patient's insurer in the registry")
    return registered


def _is_minor(request: IssueRequest) -> bool:
    try:
        return matricule.is_minor_on(request.patient_matricule, request.service_date)
    except ValueError as exc:
        raise Unprocessable.field("service_date", str(exc)) from exc


def issue(caller: Principal, request: IssueRequest, clock: Clock, once: Once | None) -> Invoice:
    """Check the request against the invoice's rules, price and split it, and issue it on
    the signed-document path; a copy goes to the patient's vault where the patient opted in.
    The number, the invoice, the vault record, the outbox events and the record of the
    request's idempotency key (`once`) are one transaction, so numbers have no gaps and no
    twins, and a retried request makes no second invoice."""
    from chalicelib.store import invoice_issuance

    doctor_code = caller.practice()
    now = clock.now()
    today = local_date(now)
    try:
        service_date.check(request.service_date, today)
    except ValueError as exc:
        raise Unprocessable.field("service_date", str(exc)) from exc
    lines = _price(request)
    snapshot = invoice_issuance.read_snapshot(request.patient_matricule, doctor_code, today.year)
    if snapshot.practice is None:
        raise NotFound("the practice of this device is not registered")
    patient = snapshot.patient
    insurer = _insurer(request, patient.insurer if patient else None)
    if request.direct_payment and insurer == "RCAM":
        raise Unprocessable.field("direct_payment", "is not available for RCAM patients")
    split = shares.split(lines, insurer, _is_minor(request))
    owed = invoice_status.owed_by_patient(
        split.total_cents, split.patient_share_cents, request.direct_payment
    )
    paid = request.payment.amount_cents if request.payment else 0
    try:
        invoice_status.check_payment(0, paid, owed)
    except ValueError as exc:
        raise Unprocessable.field("payment.amount_cents", str(exc)) from exc

    opted_in = patient is not None and patient.digital_admin == "opted_in"
    draft = Invoice(
        invoice_id=ids.new_id("inv", now),
        number=invoice_number(today.year, snapshot.last_number + 1),
        doctor_code=doctor_code,
        practice_name=snapshot.practice.name,
        practice_specialty=snapshot.practice.specialty,
        patient_matricule=request.patient_matricule,
        patient_name=patient.name if patient else None,
        insurer=insurer,
        service_date=request.service_date,
        issued_at=now,
        status=invoice_status.at_issue(paid, owed, request.direct_payment),
        nomenclature_version=nomenclature.table().version,
        lines=tuple(lines),
        total_cents=split.total_cents,
        insurer_share_cents=split.insurer_share_cents,
        patient_share_cents=split.patient_share_cents,
        paid_cents=paid,
        payments=(_payment(request.payment, now, "payment.paid_at"),) if request.payment and paid else (),
        direct_payment=request.direct_payment,
        qr="",
        document_id=ids.new_id("doc", now) if opted_in else None,
        claim_id=ids.new_id("clm", now) if request.direct_payment else None,
    )
    invoice = signed_documents.issue(INVOICE, draft, now, once)
    metric(INVOICES_ISSUED)
    if invoice.claim_id is not None:
        metric(CLAIMS_SUBMITTED)
    return invoice


class InvoiceKind:
    """The invoice's part of the signed-document path (`signed_documents.Kind[Invoice]`)."""

    type = "invoice"

    def numbered(self, draft: Invoice) -> Iterator[Invoice]:
        """The draft carries the number after the last one its snapshot saw; each number
        another device took meanwhile moves it on to the one after the counter's latest."""
        from chalicelib.store import invoices as store

        year, _ = number_parts(draft.number)
        invoice = draft
        for _ in range(MAX_NUMBER_ATTEMPTS):
            yield invoice
            last = store.last_number(invoice.doctor_code, year)
            invoice = replace(invoice, number=invoice_number(year, last + 1))

    def claims(self, invoice: Invoice) -> qr_token.QrClaims:
        return qr_token.QrClaims(
            invoice.invoice_id, invoice.insurer, invoice.total_cents, local_date(invoice.issued_at)
        )

    def signed(self, invoice: Invoice, token: str) -> Invoice:
        return replace(invoice, qr=token)

    def layout(self, invoice: Invoice) -> bytes:
        return render_pdf(invoice)

    def vault_copy(self, invoice: Invoice) -> VaultCopy | None:
        if invoice.document_id is None:
            return None
        return VaultCopy(
            owner=invoice.patient_matricule,
            document_id=invoice.document_id,
            source_id=invoice.invoice_id,
            title=f"Mémoire d'honoraires {invoice.number}",
            author=invoice.practice_name,
            author_code=invoice.doctor_code,
        )

    def events(self, invoice: Invoice, at: datetime) -> list[Event]:
        """`invoice.issued`, which concerns the patient only where opted in (the invoice has
        a vault copy), and the direct-payment claim's `claim.submitted`."""
        issued = Event(
            ids.new_id("evt", at),
            "invoice.issued",
            at,
            _event_data(invoice),
            patient=invoice.patient_matricule if invoice.document_id else None,
            doctor_code=invoice.doctor_code,
        )
        claim = _direct_payment_claim(invoice)
        if claim is None:
            return [issued]
        return [issued, claim_rules.event(claim, "claim.submitted", ids.new_id("evt", at), at)]

    def record(self, invoice: Invoice, copy: Document | None, events: list[Event], once: Once | None) -> bool:
        from chalicelib.store import invoice_issuance

        return invoice_issuance.issue(invoice, copy, events, _direct_payment_claim(invoice), once)


INVOICE = InvoiceKind()


def _direct_payment_claim(invoice: Invoice) -> Claim | None:
    """With direct payment the insurer's share is claimed by the practice at issuance: the
    claim enters the insurer's queue in the same transaction as the invoice."""
    if invoice.claim_id is None:
        return None
    return claim_rules.open_claim(
        invoice.claim_id, invoice, "direct_payment", "practice", None, invoice.issued_at
    )


def _payment(payment: PaymentRequest, now: datetime, field: str) -> Payment:
    """The payment as recorded; one dated later than now is a typo, never a payment."""
    if payment.paid_at is not None and payment.paid_at > now:
        raise Unprocessable.field(field, "must not be in the future")
    return Payment(amount_cents=payment.amount_cents, method=payment.method, paid_at=payment.paid_at or now)


def _event_data(invoice: Invoice) -> dict[str, object]:
    return {
        "invoice_id": invoice.invoice_id,
        "number": invoice.number,
        "doctor_code": invoice.doctor_code,
        "insurer": invoice.insurer,
        "total_cents": invoice.total_cents,
        "patient_share_cents": invoice.patient_share_cents,
        "status": invoice.status,
        "document_id": invoice.document_id,
    }


def render_pdf(invoice: Invoice) -> bytes:
    return pdf_render.invoice_pdf(
        pdf_render.InvoiceDocument(
            practice=pdf_render.Practice(
                invoice.practice_name, invoice.doctor_code, invoice.practice_specialty
            ),
            patient=pdf_render.Patient(invoice.patient_matricule, invoice.patient_name),
            number=invoice.number,
            issued_on=local_date(invoice.issued_at),
            service_date=invoice.service_date,
            insurer=invoice.insurer,
            lines=invoice.lines,
            total_cents=invoice.total_cents,
            insurer_share_cents=invoice.insurer_share_cents,
            patient_share_cents=invoice.patient_share_cents,
            paid_cents=invoice.paid_cents,
            status=invoice.status,
            direct_payment=invoice.direct_payment,
            qr=invoice.qr,
        )
    )


def qr_svg(invoice: Invoice) -> str:
    """The invoice's QR code as an SVG image."""
    return qr_render.svg(invoice.qr).decode()


def for_practice(caller: Principal, invoice_id: str, consistent: bool = False) -> Invoice:
    """The invoice, if this practice issued it; any other is 'not found'."""
    from chalicelib.store import invoices as store

    found = store.get(invoice_id, consistent) if ids.has_prefix(invoice_id, "inv") else None
    if found is None or found.doctor_code != caller.practice():
        raise NotFound("no such invoice")
    return found


def issued(caller: Principal, invoice_id: str) -> Invoice:
    """The invoice that a request retried with its Idempotency-Key issued the first time,
    with its vault copy put in place where a crash after the commit left it out. Not
    journaled: it is the answer of the issuing request again, not another reading."""
    invoice = for_practice(caller, invoice_id, consistent=True)
    signed_documents.repair(INVOICE, invoice)
    return invoice


def read(caller: Principal, invoice_id: str, clock: Clock) -> Invoice:
    """The invoice for its practice to show, print or render as a QR code, journaled for its
    patient under the practice's name as the invoice carries it."""
    invoice = for_practice(caller, invoice_id)
    journal.record(
        caller, "invoice.read", invoice.patient_matricule, _object(invoice), clock, name=invoice.practice_name
    )
    return invoice


def _object(invoice: Invoice) -> ObjectRef:
    return ObjectRef("invoice", invoice.invoice_id)


def list_for_practice(
    caller: Principal,
    patient_id: str | None,
    status: Status | None,
    issued_from: date | None,
    issued_to: date | None,
    limit: int,
    cursor: dict[str, Any] | None,
    clock: Clock,
) -> Page[Invoice]:
    """The practice's invoices, of one registered patient where `patient_id` names one: a
    `patient_id` that names nobody lists nothing. Each one listed is journaled for its
    patient, as a single read is."""
    from chalicelib.store import identity
    from chalicelib.store import invoices as store

    if issued_from and issued_to and issued_to < issued_from:
        raise Unprocessable.field("to", "must not be before from")
    between = period(issued_from, issued_to) if issued_from or issued_to else None
    patient = None
    if patient_id is not None:
        found = identity.patient_by_id(patient_id)
        if found is None:
            return Page([], None)
        patient = found.matricule
    page = store.list_for_practice(caller.practice(), patient, status, between, limit, cursor)
    read = [(i.patient_matricule, _object(i)) for i in page.items]
    name = page.items[0].practice_name if page.items else None
    journal.record_all(caller, "invoice.read", read, clock, name=name)
    return page


def period(first: date | None, last: date | None) -> tuple[datetime, datetime]:
    """The instants of the practice's calendar days `first` to `last`, both included
    (Europe/Luxembourg); an open end reaches as far as any invoice can."""
    start = _day_start(first or date(2000, 1, 1))
    end = _day_start((last or date(9998, 12, 31)) + timedelta(days=1)) - timedelta(microseconds=1)
    return start, end


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LUXEMBOURG)


def add_payment(caller: Principal, invoice_id: str, payment: PaymentRequest, clock: Clock) -> Invoice:
    from chalicelib.store import invoices as store

    invoice = for_practice(caller, invoice_id)
    if invoice.status not in invoice_status.payable(invoice.direct_payment):
        raise Conflict(f"an invoice that is {invoice.status} takes no payment")
    owed = invoice_status.owed_by_patient(
        invoice.total_cents, invoice.patient_share_cents, invoice.direct_payment
    )
    try:
        invoice_status.check_payment(invoice.paid_cents, payment.amount_cents, owed)
    except ValueError as exc:
        raise Unprocessable.field("amount_cents", str(exc)) from exc
    new_status = invoice_status.after_payment(invoice.status, invoice.paid_cents + payment.amount_cents, owed)
    return store.add_payment(invoice, _payment(payment, clock.now(), "paid_at"), new_status)


def cancel(caller: Principal, invoice_id: str, reason: str, clock: Clock) -> Invoice:
    from chalicelib.store import claim_ledger
    from chalicelib.store import invoices as store

    invoice = for_practice(caller, invoice_id)
    if invoice.status == "cancelled":
        return invoice
    if invoice.status in invoice_status.CANCELLABLE:
        if invoice.claim_id is None:
            return store.cancel(invoice, reason, clock.now(), invoice_status.CANCELLABLE)
        now = clock.now()
        withdrawn = claim_ledger.withdraw(invoice, reason, now, _withdrawal(invoice.claim_id, now))
        if withdrawn is None:
            raise Conflict("the invoice changed meanwhile; read it again and retry")
        return withdrawn
    raise Conflict("the insurer has decided this invoice's claim; it can no longer be cancelled")


def _withdrawal(claim_id: str, at: datetime) -> Event:
    """`claim.withdrawn`: the claim of a cancelled invoice is out of its insurer's queue."""
    from chalicelib.store import claims as claim_store

    claim = claim_store.get(claim_id, consistent=True)
    if claim is None:
        raise Conflict("the invoice changed meanwhile; read it again and retry")
    withdrawn = replace(claim, status="withdrawn", decided_at=at)
    return claim_rules.event(withdrawn, "claim.withdrawn", ids.new_id("evt", at), at)


def scan(caller: Principal, token: str, clock: Clock) -> Invoice:
    """What an insurer reads from a QR code: only an invoice that names this insurer,
    journaled for its patient. A forged or altered code says nothing about what it would
    have named."""
    from chalicelib.store import invoices as store

    try:
        claims = signed_documents.verify(token)
    except qr_token.InvalidQrToken as exc:
        raise Unprocessable.field("qr", "is not a valid DHN invoice code") from exc
    found = store.get(claims.invoice_id) if claims.insurer == caller.insurer else None
    if found is None or found.insurer != caller.insurer:
        raise NotFound("no such invoice")
    journal.record(caller, "invoice.scan", found.patient_matricule, _object(found), clock)
    return found
