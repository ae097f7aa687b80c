"""Invoices and their per-doctor number sequences. Issuing (`store.invoice_issuance`) and a
claim's progress (`store.claim_ledger`) write invoices in transactions of their own; a payment
and the cancellation of an invoice without a claim are here. Each of them that moves an amount
moves its issue day's totals (`store.invoice_day_totals`) in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from typing import Any, cast

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.cursor import Page
from chalicelib.core.errors import Conflict
from chalicelib.domain.invoice_status import Status
from chalicelib.domain.invoices import Invoice, Payment
from chalicelib.domain.shares import Line
from chalicelib.store import invoice_day_totals
from chalicelib.store.base import (
    TableMeta,
    filtered_page,
    named,
    page_of,
    resume,
    transact,
    within,
)


class LineMap(MapAttribute[str, Any]):
    code = UnicodeAttribute()
    label = UnicodeAttribute()
    quantity = NumberAttribute()
    unit_cents = NumberAttribute()
    amount_cents = NumberAttribute()
    reimbursable = BooleanAttribute()


class PaymentMap(MapAttribute[str, Any]):
    amount_cents = NumberAttribute()
    method = UnicodeAttribute()
    paid_at = UTCDateTimeAttribute()


class ByDoctor(GlobalSecondaryIndex["InvoiceItem"]):
    """A practice's invoices, newest first, by issue time."""

    class Meta:
        index_name = "by-doctor"
        projection = AllProjection()

    doctor_code = UnicodeAttribute(hash_key=True)
    issued_at = UTCDateTimeAttribute(range_key=True)


class ByDoctorStatus(GlobalSecondaryIndex["InvoiceItem"]):
    """A practice's invoices in one status (the `status=` filter), newest first: a page reads
    only what it answers, however few of the practice's invoices are in that status. Every
    write of `status` writes `doctor_status` with it (`status_set`)."""

    class Meta:
        index_name = "by-doctor-status"
        projection = AllProjection()

    doctor_status = UnicodeAttribute(hash_key=True)
    issued_at = UTCDateTimeAttribute(range_key=True)


class ByDoctorPatient(GlobalSecondaryIndex["InvoiceItem"]):
    """One patient's invoices within one practice (the `patient=` filter)."""

    class Meta:
        index_name = "by-doctor-patient"
        projection = AllProjection()

    doctor_patient = UnicodeAttribute(hash_key=True)
    issued_at = UTCDateTimeAttribute(range_key=True)


class InvoiceItem(Model):
    class Meta(TableMeta):
        table_name = named("invoices")

    invoice_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute()
    doctor_code = UnicodeAttribute()
    practice_name = UnicodeAttribute()
    practice_specialty = UnicodeAttribute(null=True)
    patient_matricule = UnicodeAttribute()
    patient_name = UnicodeAttribute(null=True)
    doctor_patient = UnicodeAttribute()
    insurer = UnicodeAttribute()
    service_date = UnicodeAttribute()
    issued_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
    doctor_status = UnicodeAttribute()
    nomenclature_version = UnicodeAttribute()
    lines = ListAttribute(of=LineMap)
    total_cents = NumberAttribute()
    insurer_share_cents = NumberAttribute()
    patient_share_cents = NumberAttribute()
    paid_cents = NumberAttribute()
    payments = ListAttribute(of=PaymentMap)
    direct_payment = BooleanAttribute()
    qr = UnicodeAttribute()
    document_id = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)
    claim_id = UnicodeAttribute(null=True)
    settled_cents = NumberAttribute(null=True)
    settlement_reference = UnicodeAttribute(null=True)
    by_doctor = ByDoctor()
    by_doctor_patient = ByDoctorPatient()
    by_doctor_status = ByDoctorStatus()


class Counter(Model):
    """A gap-free sequence; moved only inside the transaction that uses its next value."""

    class Meta(TableMeta):
        table_name = named("counters")

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute()


def number_sequence(doctor_code: str, year: int) -> str:
    """The counter of a practice's invoice numbers in one year; it holds the last one issued."""
    return f"invoice-number#{doctor_code}#{year}"


def last_number(doctor_code: str, year: int) -> int:
    """The last invoice number the practice was given in `year` (0 before the first)."""
    try:
        return int(Counter.get(number_sequence(doctor_code, year), consistent_read=True).value)
    except DoesNotExist:
        return 0


def model_of(invoice: Invoice) -> InvoiceItem:
    """The item a transaction writes for a new invoice."""
    return InvoiceItem(
        invoice.invoice_id,
        number=invoice.number,
        doctor_code=invoice.doctor_code,
        practice_name=invoice.practice_name,
        practice_specialty=invoice.practice_specialty,
        patient_matricule=invoice.patient_matricule,
        patient_name=invoice.patient_name,
        doctor_patient=_doctor_patient(invoice.doctor_code, invoice.patient_matricule),
        insurer=invoice.insurer,
        service_date=invoice.service_date.isoformat(),
        issued_at=invoice.issued_at,
        status=invoice.status,
        doctor_status=_doctor_status(invoice.doctor_code, invoice.status),
        nomenclature_version=invoice.nomenclature_version,
        lines=[LineMap(**vars(line)) for line in invoice.lines],
        total_cents=invoice.total_cents,
        insurer_share_cents=invoice.insurer_share_cents,
        patient_share_cents=invoice.patient_share_cents,
        paid_cents=invoice.paid_cents,
        payments=[_payment_map(payment) for payment in invoice.payments],
        direct_payment=invoice.direct_payment,
        qr=invoice.qr,
        document_id=invoice.document_id,
        cancel_reason=invoice.cancel_reason,
        cancelled_at=invoice.cancelled_at,
        claim_id=invoice.claim_id,
        settled_cents=invoice.settled_cents,
        settlement_reference=invoice.settlement_reference,
    )


def _doctor_patient(doctor_code: str, matricule: str) -> str:
    return f"{doctor_code}#{matricule}"


def _doctor_status(doctor_code: str, status: str) -> str:
    return f"{doctor_code}#{status}"


def status_set(doctor_code: str, status: Status) -> list[Action]:
    """What moving an invoice of `doctor_code` to `status` writes: the status and its key in
    the practice's status index, together."""
    return [
        InvoiceItem.status.set(status),
        InvoiceItem.doctor_status.set(_doctor_status(doctor_code, status)),
    ]


def _payment_map(payment: Payment) -> PaymentMap:
    return PaymentMap(amount_cents=payment.amount_cents, method=payment.method, paid_at=payment.paid_at)


def _record(item: InvoiceItem) -> Invoice:
    return Invoice(
        invoice_id=item.invoice_id,
        number=item.number,
        doctor_code=item.doctor_code,
        practice_name=item.practice_name,
        practice_specialty=item.practice_specialty,
        patient_matricule=item.patient_matricule,
        patient_name=item.patient_name,
        insurer=item.insurer,
        service_date=date.fromisoformat(item.service_date),
        issued_at=item.issued_at,
        # Only the invoice's own transitions ever write it.
        status=cast(Status, item.status),
        nomenclature_version=item.nomenclature_version,
        lines=tuple(
            Line(
                line.code,
                line.label,
                int(line.quantity),
                int(line.unit_cents),
                int(line.amount_cents),
                bool(line.reimbursable),
            )
            for line in item.lines
        ),
        total_cents=int(item.total_cents),
        insurer_share_cents=int(item.insurer_share_cents),
        patient_share_cents=int(item.patient_share_cents),
        paid_cents=int(item.paid_cents),
        payments=tuple(
            Payment(int(payment.amount_cents), payment.method, payment.paid_at) for payment in item.payments
        ),
        direct_payment=bool(item.direct_payment),
        qr=item.qr,
        document_id=item.document_id,
        cancel_reason=item.cancel_reason,
        cancelled_at=item.cancelled_at,
        claim_id=item.claim_id,
        settled_cents=None if item.settled_cents is None else int(item.settled_cents),
        settlement_reference=item.settlement_reference,
    )


def get(invoice_id: str, consistent: bool = False) -> Invoice | None:
    try:
        return _record(InvoiceItem.get(invoice_id, consistent_read=consistent))
    except DoesNotExist:
        return None


def list_for_practice(
    doctor_code: str,
    patient: str | None,
    status: str | None,
    issued_between: tuple[datetime, datetime] | None,
    limit: int,
    start: dict[str, Any] | None,
) -> Page[Invoice]:
    """Newest first. Each filter but one has an index, so a page reads what it answers; a
    patient's invoices in one status are read through the patient's index with the status
    as a filter, within the read budget of `filtered_page` (one patient's invoices at one
    practice are few). With `patient`, the partition names the matricule: it is kept out of
    the cursor, which travels in URLs."""
    index: GlobalSecondaryIndex[InvoiceItem] = InvoiceItem.by_doctor
    attribute, key = "doctor_code", doctor_code
    if patient:
        index, attribute = InvoiceItem.by_doctor_patient, "doctor_patient"
        key = _doctor_patient(doctor_code, patient)
    elif status:
        index, attribute = InvoiceItem.by_doctor_status, "doctor_status"
        key = _doctor_status(doctor_code, status)
    private = (attribute,) if patient else ()
    filtered = bool(patient and status)
    results = index.query(
        key,
        range_key_condition=InvoiceItem.issued_at.between(*issued_between) if issued_between else None,
        filter_condition=(InvoiceItem.status == status) if filtered else None,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=within(
            resume(start, InvoiceItem, index, private=private, **{attribute: key}),
            "issued_at",
            _stored(issued_between),
        ),
    )
    if filtered:
        return filtered_page(results, InvoiceItem, limit, private).map(_record)
    return page_of(results, limit, private=private).map(_record)


def issued_page(
    doctor_code: str, issued_between: tuple[datetime, datetime], limit: int, start: dict[str, Any] | None
) -> Page[Invoice]:
    """One page of a practice's invoices issued within `issued_between` (both ends included),
    oldest first."""
    results = InvoiceItem.by_doctor.query(
        doctor_code,
        InvoiceItem.issued_at.between(*issued_between),
        limit=limit,
        last_evaluated_key=within(
            resume(start, InvoiceItem, InvoiceItem.by_doctor, doctor_code=doctor_code),
            "issued_at",
            _stored(issued_between),
        ),
    )
    return page_of(results, limit).map(_record)


def _stored(issued_between: tuple[datetime, datetime] | None) -> tuple[str, str] | None:
    """Bounds of `issued_at` as the indexes hold them, for `within`."""
    if issued_between is None:
        return None
    first, last = issued_between
    return InvoiceItem.issued_at.serialize(first), InvoiceItem.issued_at.serialize(last)


def issued_between(doctor_code: str, start: datetime, end: datetime) -> Iterator[Invoice]:
    """All of a practice's invoices issued in [start, end], oldest first, page by page."""
    results = InvoiceItem.by_doctor.query(
        doctor_code, InvoiceItem.issued_at.between(start, end), page_size=500
    )
    return (_record(item) for item in results)


def add_payment(invoice: Invoice, payment: Payment, new_status: Status) -> Invoice:
    """Record a payment on the invoice as it was read: if another payment, a cancellation or
    a claim's progress came in between, DynamoDB refuses, so two racing payments can never
    overpay and a payment never sets back a status it did not see."""
    paid = replace(
        invoice,
        paid_cents=invoice.paid_cents + payment.amount_cents,
        payments=(*invoice.payments, payment),
        status=new_status,
    )
    return _change(
        invoice,
        paid,
        [
            InvoiceItem.paid_cents.add(payment.amount_cents),
            InvoiceItem.payments.set(InvoiceItem.payments.append([_payment_map(payment)])),
            *status_set(invoice.doctor_code, new_status),
        ],
        (InvoiceItem.paid_cents == invoice.paid_cents) & (InvoiceItem.status == invoice.status),
    )


def cancel(invoice: Invoice, reason: str, at: datetime, cancellable: tuple[Status, ...]) -> Invoice:
    """Cancel an invoice that has no claim (`store.claim_ledger.withdraw` cancels one that has).
    A payment that came in meanwhile refuses it too: the day's outstanding total drops by
    what was outstanding when the invoice was read."""
    return _change(
        invoice,
        cancelled(invoice, reason, at),
        cancellation(invoice.doctor_code, reason, at),
        InvoiceItem.status.is_in(*cancellable)
        & InvoiceItem.claim_id.does_not_exist()
        & (InvoiceItem.paid_cents == invoice.paid_cents),
    )


def cancelled(invoice: Invoice, reason: str, at: datetime) -> Invoice:
    """The invoice as its cancellation leaves it."""
    return replace(invoice, status="cancelled", cancel_reason=reason, cancelled_at=at)


def cancellation(doctor_code: str, reason: str, at: datetime) -> list[Action]:
    """What cancelling an invoice writes, with or without a claim to withdraw."""
    return [
        *status_set(doctor_code, "cancelled"),
        InvoiceItem.cancel_reason.set(reason),
        InvoiceItem.cancelled_at.set(at),
    ]


def _change(invoice: Invoice, after: Invoice, actions: list[Action], condition: Condition) -> Invoice:
    """Update the invoice and its day's totals together: `after`, or a conflict when
    `condition` no longer holds."""

    def write(tx: TransactWrite) -> None:
        tx.update(InvoiceItem(invoice.invoice_id), actions=actions, condition=condition)
        invoice_day_totals.record_change(tx, invoice, after)

    if not transact(write):
        raise Conflict("the invoice changed meanwhile; read it again and retry")
    return after


# Invoices of one patient by one practice a care check reads at most: cancelled ones are
# filtered out (an invoice cancelled at once is no care), and no pair has that many in a year.
CARE_READS = 50


def invoiced_since(doctor_code: str, matricule: str, since: datetime) -> bool:
    """Whether the practice invoiced the patient since `since`, an invoice it did not cancel:
    one bounded query."""
    found = InvoiceItem.by_doctor_patient.query(
        _doctor_patient(doctor_code, matricule),
        range_key_condition=InvoiceItem.issued_at >= since,
        filter_condition=InvoiceItem.status != "cancelled",
        page_size=CARE_READS,
    )
    return bool(next(found.page_iter).get("Items"))
