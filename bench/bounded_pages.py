"""What a filtered page of invoices and a page of the reconciliation cost, on in-process moto.

1. One page of 20 invoices in one status (`GET /invoices?status=issued`) of a practice with
   500 invoices, and of the same practice once it has 50,000: DynamoDB calls and items
   DynamoDB read (`ScannedCount`). One invoice in twenty is in that status: a filter applied
   after reading reads twenty invoices for each one it answers (20 Query calls a page, with
   DynamoDB's `Limit` at the page size), and all 50,000 (2,500 calls) for a status no invoice
   has. Target: the same calls and items at 50,000 as at 500 (ratio 1), and no more items
   read than the page answers.
2. One page of 20 rows of the reconciliation of the year (365 days) of those 50,000
   invoices, with the year's totals: calls and items read. Target: 2 calls (the page's rows,
   and the year's day totals) and at most 20 + 365 items.

The invoices and their day totals are seeded with batch writes, not through the API. moto
answers a Query on an index by walking every item of the table, which DynamoDB never does,
so wall times are left out: they would measure moto.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from bench import fakeaws
from bench.awscalls import Meter

if TYPE_CHECKING:
    from chalicelib.domain.reconciliation import Amounts

SIZES = (500, 50_000)
LIMIT = 20
# One invoice in this many is still unpaid: the status the filtered page asks for.
RARE = 20
YEAR = (date(2025, 12, 1), date(2026, 11, 30))
TARGETS = {
    "status_page_calls_ratio": 1.0,
    "status_page_items_read_ratio": 1.0,
    f"status_page_items_read_{SIZES[-1]}": float(LIMIT),
    "reconciliation_page_calls": 2.0,
    "reconciliation_page_items_read": float(LIMIT + 365),
}


def _seed_invoices(count: int, offset: int, days: defaultdict[date, Amounts]) -> None:
    """Invoices `offset` to `offset + count` of one practice, written straight to the table:
    the 50,000 spread evenly over the year, newest first, so that the first 500 are the
    newest. Their amounts are added to `days`."""
    from chalicelib.core import ids
    from chalicelib.domain.calendar import local_date
    from chalicelib.domain.invoices import Invoice, invoice_number
    from chalicelib.domain.reconciliation import amounts_of
    from chalicelib.store import invoices

    end = datetime.combine(YEAR[1], datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    with invoices.InvoiceItem.batch_write() as batch:
        for n in range(offset, offset + count):
            at = end - timedelta(days=364) * (n / SIZES[-1])
            unpaid = n % RARE == 0
            invoice = Invoice(
                invoice_id=ids.new_id("inv", at),
                number=invoice_number(at.year, n + 1),
                doctor_code=fakeaws.DOCTOR,
                practice_name="Dr Bench",
                practice_specialty=None,
                patient_matricule=fakeaws.PATIENT,
                patient_name="Marie Schmit",
                insurer="CNS",
                service_date=at.date(),
                issued_at=at,
                status="issued" if unpaid else "paid",
                nomenclature_version="bench",
                lines=(),
                total_cents=5770,
                insurer_share_cents=5078,
                patient_share_cents=692,
                paid_cents=0 if unpaid else 5770,
                payments=(),
                direct_payment=False,
                qr="DHN1:BENCH",
                document_id=None,
            )
            batch.save(invoices.model_of(invoice))
            days[local_date(at)] += amounts_of(invoice)


def _seed_days(days: dict[date, Amounts]) -> None:
    """The day totals of the invoices seeded, as the transactions would have kept them."""
    from chalicelib.store import invoice_day_totals

    with invoice_day_totals.InvoiceDayTotals.batch_write() as batch:
        for day, amounts in days.items():
            batch.save(invoice_day_totals.model_of(fakeaws.DOCTOR, day, amounts))


def _cost(meter: Meter, read: Callable[[], int]) -> dict[str, float]:
    read()  # warm-up: the client, its endpoint and PynamoDB's attribute maps
    with meter.window() as made:
        assert read() == LIMIT
    return {"calls": made.of("dynamodb"), "items_read": made.items_read}


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    with fakeaws.aws() as meter:
        from chalicelib.core.clock import SystemClock
        from chalicelib.domain.reconciliation import Amounts
        from chalicelib.services import invoices, reconciliation
        from chalicelib.services.identity import Principal

        doctor = Principal(role="doctor", scope="bench", doctor_code=fakeaws.DOCTOR)
        clock = SystemClock()

        def status_page() -> int:
            return len(
                invoices.list_for_practice(doctor, None, "issued", None, None, LIMIT, None, clock).items
            )

        def reconciliation_page() -> int:
            return len(reconciliation.report(doctor, *YEAR, LIMIT, None).rows.items)

        days: defaultdict[date, Amounts] = defaultdict(Amounts)
        seeded = 0
        for size in SIZES:
            _seed_invoices(size - seeded, seeded, days)
            seeded = size
            for name, value in _cost(meter, status_page).items():
                figures[f"status_page_{name}_{size}"] = value
        small, large = SIZES
        for name in ("calls", "items_read"):
            figures[f"status_page_{name}_ratio"] = (
                figures[f"status_page_{name}_{large}"] / figures[f"status_page_{name}_{small}"]
            )
        _seed_days(days)
        for name, value in _cost(meter, reconciliation_page).items():
            figures[f"reconciliation_page_{name}"] = value
    return figures


if __name__ == "__main__":
    from bench import table

    table.main(["bench.bounded_pages"])
