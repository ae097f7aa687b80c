"""What the practice's reconciliation counts of an invoice: what it bills, what the patient
paid, what the insurer owes the practice and has settled, and what is still outstanding. Pure.

The period's totals are the sum of its invoices' amounts. Every change to an invoice adds
`amounts_of(after) - amounts_of(before)` to the totals of the day it was issued, so the
totals of a period are a sum of day totals, never a read of every invoice.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain import invoice_status

if TYPE_CHECKING:
    from chalicelib.domain.invoices import Invoice

# A year and a day: enough for annual accounts, bounded so one answer stays small.
MAX_DAYS = 366


@dataclass(frozen=True)
class Amounts:
    total_cents: int = 0
    patient_paid_cents: int = 0
    # Only a direct-payment invoice is paid to the practice by the insurer; otherwise 0.
    insurer_expected_cents: int = 0
    insurer_settled_cents: int = 0
    outstanding_cents: int = 0

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(*(a - b for a, b in zip(_values(self), _values(other), strict=True)))


NOTHING = Amounts()
FIELDS = tuple(field.name for field in dataclasses.fields(Amounts))


def _values(amounts: Amounts) -> tuple[int, ...]:
    return dataclasses.astuple(amounts)


def amounts_of(invoice: Invoice | None) -> Amounts:
    """One invoice's amounts; NOTHING for an invoice not yet issued."""
    if invoice is None:
        return NOTHING
    direct = invoice.direct_payment
    settled = (invoice.settled_cents or 0) if direct else 0
    return Amounts(
        total_cents=invoice.total_cents,
        patient_paid_cents=invoice.paid_cents,
        insurer_expected_cents=invoice.insurer_share_cents if direct else 0,
        insurer_settled_cents=settled,
        outstanding_cents=invoice_status.outstanding_cents(
            invoice.status, invoice.total_cents, invoice.paid_cents, settled
        ),
    )


def change(before: Invoice | None, after: Invoice) -> Amounts:
    """What a change of an invoice from `before` (None: its issuance) to `after` adds to the
    totals of its issue day."""
    return amounts_of(after) - amounts_of(before)
