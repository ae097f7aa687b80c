"""Invoices, their per-doctor number sequences, and the one transaction that issues them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib.core.errors import Conflict, NotFound
from chalicelib.domain.events import Event
from chalicelib.store import outbox
from chalicelib.store.base import Page, TableMeta, condition_failed, connection, named, page_of, resume
from chalicelib.store.documents import Document
from chalicelib.store.identity import Doctor, Patient

if TYPE_CHECKING:
    from chalicelib.store.claims import Claim


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


class ByDoctor(GlobalSecondaryIndex["Invoice"]):
    """A practice's invoices, newest first, by issue time."""

    class Meta:
        index_name = "by-doctor"
        projection = AllProjection()

    doctor_code = UnicodeAttribute(hash_key=True)
    issued_at = UTCDateTimeAttribute(range_key=True)


class ByDoctorPatient(GlobalSecondaryIndex["Invoice"]):
    """One patient's invoices within one practice (the `patient=` filter)."""

    class Meta:
        index_name = "by-doctor-patient"
        projection = AllProjection()

    doctor_patient = UnicodeAttribute(hash_key=True)
    issued_at = UTCDateTimeAttribute(range_key=True)


class Invoice(Model):
    class Meta(TableMeta):
        table_name = named("invoices")

    invoice_id = UnicodeAttribute(hash_key=True)
    number = UnicodeAttribute()
    doctor_code = UnicodeAttribute()
    # What the printed invoice shows of the practice, as it was on the day of issue.
    practice_name = UnicodeAttribute()
    practice_specialty = UnicodeAttribute(null=True)
    patient_matricule = UnicodeAttribute()
    patient_name = UnicodeAttribute(null=True)
    doctor_patient = UnicodeAttribute()
    insurer = UnicodeAttribute()
    service_date = UnicodeAttribute()
    issued_at = UTCDateTimeAttribute()
    status = UnicodeAttribute()
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
    # The invoice's one claim (set in the transaction that files it) and what the insurer paid.
    claim_id = UnicodeAttribute(null=True)
    settled_cents = NumberAttribute(null=True)
    settlement_reference = UnicodeAttribute(null=True)
    by_doctor = ByDoctor()
    by_doctor_patient = ByDoctorPatient()


class Counter(Model):
    """A gap-free sequence; moved only inside the transaction that uses its next value."""

    class Meta(TableMeta):
        table_name = named("counters")

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute()


class Snapshot:
    """What issuing an invoice must read first, fetched in one round trip."""

    def __init__(self, patient: Patient | None, doctor: Doctor | None, counter: int) -> None:
        self.patient = patient
        self.doctor = doctor
        self.counter = counter


def number_sequence(doctor_code: str, year: int) -> str:
    return f"invoice-number#{doctor_code}#{year}"


def read_snapshot(matricule: str, doctor_code: str, sequence: str) -> Snapshot:
    with TransactGet(connection=connection()) as tx:
        patient = tx.get(Patient, matricule)
        doctor = tx.get(Doctor, doctor_code)
        counter = tx.get(Counter, sequence)
    return Snapshot(_or_none(patient), _or_none(doctor), _counter_value(counter))


def _or_none(future: Any) -> Any:
    try:
        return future.get()
    except DoesNotExist:
        return None


def _counter_value(future: Any) -> int:
    found = _or_none(future)
    return 0 if found is None else int(found.value)


def read_counter(sequence: str) -> int:
    try:
        return int(Counter.get(sequence, consistent_read=True).value)
    except DoesNotExist:
        return 0


def issue(
    invoice: Invoice,
    sequence: str,
    previous: int,
    document: Document | None,
    events: list[Event],
    claim: Claim | None = None,
) -> bool:
    """Write the invoice, its number, its vault record, its direct-payment claim and its events
    together. False when another issuance took the number first (the caller reads the counter
    again and retries)."""
    expected = Counter.value == previous if previous else Counter.name.does_not_exist()
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(Counter(sequence), actions=[Counter.value.set(previous + 1)], condition=expected)
            tx.save(invoice)
            if document is not None:
                tx.save(document)
            if claim is not None:
                tx.save(claim)
            for event in events:
                tx.save(outbox.model_of(event))
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def get(invoice_id: str, consistent: bool = False) -> Invoice | None:
    try:
        return Invoice.get(invoice_id, consistent_read=consistent)
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
    """Newest first. With `patient`, the partition names the matricule: it is kept out of the
    cursor, which travels in URLs."""
    index: GlobalSecondaryIndex[Invoice] = Invoice.by_doctor_patient if patient else Invoice.by_doctor
    key = f"{doctor_code}#{patient}" if patient else doctor_code
    attribute = "doctor_patient" if patient else "doctor_code"
    private = (attribute,) if patient else ()
    return page_of(
        index.query(
            key,
            range_key_condition=Invoice.issued_at.between(*issued_between) if issued_between else None,
            filter_condition=(Invoice.status == status) if status else None,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=resume(start, Invoice, index, private=private, **{attribute: key}),
        ),
        limit,
        private=private,
    )


def issued_between(doctor_code: str, start: datetime, end: datetime) -> Iterator[Invoice]:
    """All of a practice's invoices issued in [start, end], oldest first, page by page."""
    return Invoice.by_doctor.query(doctor_code, Invoice.issued_at.between(start, end), page_size=500)


def add_payment(invoice: Invoice, payment: PaymentMap, new_status: str) -> Invoice:
    """Record a payment on the invoice as it was read: if another payment, a cancellation or
    a claim's progress came in between, DynamoDB refuses, so two racing payments can never
    overpay and a payment never sets back a status it did not see."""
    actions: list[Action] = [
        Invoice.paid_cents.add(payment.amount_cents),
        Invoice.payments.set(Invoice.payments.append([payment])),
        Invoice.status.set(new_status),
    ]
    try:
        invoice.update(
            actions=actions,
            condition=(Invoice.paid_cents == invoice.paid_cents) & (Invoice.status == invoice.status),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("the invoice changed meanwhile; read it again and retry") from exc
        raise
    return invoice


def cancel(invoice: Invoice, reason: str, at: datetime, cancellable: tuple[str, ...]) -> Invoice:
    """Cancel an invoice that has no claim (`store.claims.withdraw` cancels one that has)."""
    try:
        invoice.update(
            actions=[
                Invoice.status.set("cancelled"),
                Invoice.cancel_reason.set(reason),
                Invoice.cancelled_at.set(at),
            ],
            condition=Invoice.status.is_in(*cancellable) & Invoice.claim_id.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("the invoice changed meanwhile; read it again and retry") from exc
        raise
    return invoice


def require(invoice_id: str) -> Invoice:
    found = get(invoice_id)
    if found is None:
        raise NotFound("no such invoice")
    return found
