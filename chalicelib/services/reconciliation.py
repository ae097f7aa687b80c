"""The practice's reconciliation for its accounting software: one row per invoice issued in a
period, with what the patient paid, what the insurer owes the practice and has settled, and
what is still outstanding.

A page of rows is one Query of the practice's invoices; the totals of the whole period, on
every page, are one Query of the practice's day totals (`store.invoice_day_totals`), which
the transactions that change an invoice's amounts keep: no page reads the whole period. The
export of a whole period reads it page by page, and goes to the vault where it is too large
for one answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any

from chalicelib.core.errors import Unprocessable
from chalicelib.domain.calendar import local_date
from chalicelib.domain.invoices import Invoice
from chalicelib.domain.reconciliation import MAX_DAYS, Amounts, amounts_of
from chalicelib.services import invoices
from chalicelib.services.identity import Principal

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page


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
    insurer_expected_cents: int
    insurer_settled_cents: int
    settlement_reference: str | None
    outstanding_cents: int


@dataclass(frozen=True)
class Report:
    """One page of a period's rows, and the totals of the whole period."""

    rows: Page[Row]
    totals: Amounts


@dataclass(frozen=True)
class Export:
    url: str
    expires_in_seconds: int


def _instants(first: date, last: date) -> tuple[datetime, datetime]:
    if last < first:
        raise Unprocessable.field("to", "is before from")
    if (last - first).days >= MAX_DAYS:
        raise Unprocessable.field("to", f"the period may span {MAX_DAYS} days at most")
    return invoices.period(first, last)


def report(caller: Principal, first: date, last: date, limit: int, cursor: dict[str, Any] | None) -> Report:
    """One page of the practice's invoices issued from `first` to `last` (its calendar days,
    inclusive), oldest first, with the totals of the whole period."""
    from chalicelib.store import invoice_day_totals
    from chalicelib.store import invoices as store

    between = _instants(first, last)
    page = store.issued_page(caller.practice(), between, limit, cursor).map(row)
    return Report(page, invoice_day_totals.between(caller.practice(), first, last))


def rows(caller: Principal, first: date, last: date) -> Iterator[Row]:
    """Every row of the period, oldest first, read page by page as it is consumed."""
    from chalicelib.store import invoices as store

    start, end = _instants(first, last)
    return (row(invoice) for invoice in store.issued_between(caller.practice(), start, end))


def export(body: IO[bytes], filename: str) -> Export:
    """Put an export in the vault, where it expires; a URL that fetches it as `filename`
    for a few minutes."""
    from chalicelib.store import vault

    key = vault.put_export(body, "csv", "text/csv; charset=utf-8")
    return Export(vault.download_url(key, filename), vault.URL_LIFETIME_SECONDS)


def row(invoice: Invoice) -> Row:
    amounts = amounts_of(invoice)
    return Row(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        issued_on=local_date(invoice.issued_at),
        service_date=invoice.service_date,
        status=invoice.status,
        direct_payment=invoice.direct_payment,
        total_cents=amounts.total_cents,
        patient_paid_cents=amounts.patient_paid_cents,
        insurer_expected_cents=amounts.insurer_expected_cents,
        insurer_settled_cents=amounts.insurer_settled_cents,
        settlement_reference=invoice.settlement_reference if invoice.direct_payment else None,
        outstanding_cents=amounts.outstanding_cents,
    )
