"""The totals of a practice's invoices by the Luxembourg day they were issued on: what the
reconciliation of a period sums, one Query over at most 366 day items, instead of reading
every invoice of the period.

A day item is only ever moved by the transactions that change an invoice's amounts (issuance,
a payment, a settlement, a cancellation: `store.invoice_issuance`, `store.invoices`,
`store.claim_ledger`), each adding the change it makes (`domain.reconciliation.change`), so
the day totals are exactly the sum of that day's invoices whatever the interleaving.
"""

from __future__ import annotations

from datetime import date

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.calendar import local_date
from chalicelib.domain.invoices import Invoice
from chalicelib.domain.reconciliation import FIELDS, NOTHING, Amounts, change
from chalicelib.store.base import TableMeta, named


class InvoiceDayTotals(Model):
    class Meta(TableMeta):
        table_name = named("invoice-day-totals")

    doctor_code = UnicodeAttribute(hash_key=True)
    # The Luxembourg date of issue, `YYYY-MM-DD`: a period's days sort as its dates.
    day = UnicodeAttribute(range_key=True)
    total_cents = NumberAttribute(default=0)
    patient_paid_cents = NumberAttribute(default=0)
    insurer_expected_cents = NumberAttribute(default=0)
    insurer_settled_cents = NumberAttribute(default=0)
    outstanding_cents = NumberAttribute(default=0)


def record_change(tx: TransactWrite, before: Invoice | None, after: Invoice) -> None:
    """Add to the transaction `tx` what changing `before` into `after` adds to its day's
    totals; nothing where no amount changes. The transaction's condition on the invoice is
    what makes `before` the invoice as it was."""
    delta = change(before, after)
    if delta == NOTHING:
        return
    tx.update(
        InvoiceDayTotals(after.doctor_code, local_date(after.issued_at).isoformat()),
        actions=[getattr(InvoiceDayTotals, name).add(getattr(delta, name)) for name in FIELDS],
    )


def model_of(doctor_code: str, day: date, amounts: Amounts) -> InvoiceDayTotals:
    """A day item holding `amounts`, for seeding a table in bulk."""
    return InvoiceDayTotals(doctor_code, day.isoformat(), **{name: getattr(amounts, name) for name in FIELDS})


def between(doctor_code: str, first: date, last: date) -> Amounts:
    """The practice's totals over the days `first` to `last`, both included: one Query (a
    year of day items is well under the 1 MB a Query answers at once)."""
    total = NOTHING
    for item in InvoiceDayTotals.query(
        doctor_code, InvoiceDayTotals.day.between(first.isoformat(), last.isoformat())
    ):
        total += Amounts(*(int(getattr(item, name)) for name in FIELDS))
    return total
