"""Issuing an invoice: the one read it needs first, and the one transaction that writes the
practice's next number, the invoice, its amounts in the totals of its issue day, the record of
its copy in the patient's vault, its direct-payment claim and the events that report them,
and the record of the request's idempotency key, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactGet, TransactWrite

from chalicelib.domain import idempotency as keys
from chalicelib.domain.claims import Claim
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.domain.invoices import Invoice, InvoicedPatient, IssuingPractice, Snapshot, number_parts
from chalicelib.store import claims, documents, idempotency, invoice_day_totals, invoices, outbox
from chalicelib.store.base import connection
from chalicelib.store.identity import Doctor, Patient
from chalicelib.store.invoices import Counter


def read_snapshot(matricule: str, doctor_code: str, year: int) -> Snapshot:
    with TransactGet(connection=connection()) as tx:
        patient = tx.get(Patient, matricule)
        doctor = tx.get(Doctor, doctor_code)
        counter = tx.get(Counter, invoices.number_sequence(doctor_code, year))
    found_patient: Patient | None = _or_none(patient)
    found_doctor: Doctor | None = _or_none(doctor)
    found_counter: Counter | None = _or_none(counter)
    return Snapshot(
        practice=None if found_doctor is None else IssuingPractice(found_doctor.name, found_doctor.specialty),
        patient=None
        if found_patient is None
        else InvoicedPatient(found_patient.name, found_patient.insurer, found_patient.digital_admin),
        last_number=0 if found_counter is None else int(found_counter.value),
    )


def _or_none(future: Any) -> Any:
    try:
        return future.get()
    except DoesNotExist:
        return None


def issue(
    invoice: Invoice,
    document: Document | None,
    events: Sequence[Event],
    claim: Claim | None,
    once: Once | None,
) -> bool:
    """Write the invoice under its number, with its vault record, its direct-payment claim,
    its events and the record of its request's key. False when another issuance took the
    number first: the practice's counter moves from the number before the invoice's to the
    invoice's, or not at all. A Conflict when a request with the same key issued first."""
    year, value = number_parts(invoice.number)
    previous = value - 1
    expected = Counter.value == previous if previous else Counter.name.does_not_exist()

    def write(tx: TransactWrite) -> None:
        tx.update(
            Counter(invoices.number_sequence(invoice.doctor_code, year)),
            actions=[Counter.value.set(value)],
            condition=expected,
        )
        tx.save(invoices.model_of(invoice))
        invoice_day_totals.record_change(tx, None, invoice)
        if document is not None:
            tx.save(documents.model_of(document))
        if claim is not None:
            tx.save(claims.model_of(claim))
        for event in events:
            tx.save(outbox.model_of(event))

    return idempotency.transact(write, keys.made(once, invoice.invoice_id))
