"""The practice's reconciliation for its accounting software: one row per invoice issued in a
period, with what the patient paid, what the insurer owes the practice and has settled, and
what is still outstanding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chalicelib.core.errors import Unprocessable
from chalicelib.domain import invoice_status
from chalicelib.domain.calendar import local_date
from chalicelib.domain.invoices import Invoice
from chalicelib.services import invoices
from chalicelib.services.identity import Principal

# A year and a day: enough for annual accounts, bounded so one answer stays small.
MAX_DAYS = 366


@dataclass(frozen=True)
class Row:
    invoice_id: str
    number: str
    issued_on: date
    service_date: date
    status: str
    direct_payment: bool
    total_cents: int
    patient_paid_cents: int
    # Only a direct-payment invoice is paid to the practice by the insurer; otherwise 0.
    insurer_expected_cents: int
    insurer_settled_cents: int
    settlement_reference: str | None
    outstanding_cents: int


def report(caller: Principal, first: date, last: date) -> list[Row]:
    """The practice's invoices issued from `first` to `last` (its calendar days, inclusive),
    oldest first."""
    from chalicelib.store import invoices as store

    if last < first:
        raise Unprocessable.field("to", "is before from")
    if (last - first).days >= MAX_DAYS:
        raise Unprocessable.field("to", f"the period may span {MAX_DAYS} days at most")
    start, end = invoices.period(first, last)
    return [row(invoice) for invoice in store.issued_between(caller.practice(), start, end)]


def row(invoice: Invoice) -> Row:
    direct = invoice.direct_payment
    settled = (invoice.settled_cents or 0) if direct else 0
    return Row(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        issued_on=local_date(invoice.issued_at),
        service_date=invoice.service_date,
        status=invoice.status,
        direct_payment=direct,
        total_cents=invoice.total_cents,
        patient_paid_cents=invoice.paid_cents,
        insurer_expected_cents=invoice.insurer_share_cents if direct else 0,
        insurer_settled_cents=settled,
        settlement_reference=invoice.settlement_reference if direct else None,
        outstanding_cents=invoice_status.outstanding_cents(
            invoice.status, invoice.total_cents, invoice.paid_cents, settled
        ),
    )
