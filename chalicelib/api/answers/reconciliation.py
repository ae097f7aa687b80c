"""Answers of the practice's reconciliation."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.answers.common import Answer, Cents, Day, InvoiceId, Page
from chalicelib.domain.invoice_status import Status


class ReconciliationRow(Answer):
    """One invoice issued in the period."""

    invoice_id: InvoiceId
    number: Annotated[str, Field(pattern="^[0-9]{4}-[0-9]{6}$", examples=["2026-000001"])]
    issued_on: Annotated[Day, Field(description="The practice's calendar date of issue.")]
    service_date: Day
    status: Status
    direct_payment: bool
    total_cents: Cents
    patient_paid_cents: Cents
    insurer_expected_cents: Annotated[
        Cents,
        Field(description="What the insurer is to pay the practice: its share under direct payment, else 0."),
    ]
    insurer_settled_cents: Cents
    settlement_reference: str | None
    outstanding_cents: Annotated[
        Cents, Field(description="What the practice is still to receive; 0 once cancelled.")
    ]


class ReconciliationTotals(Answer):
    """The sums of every row of the period, on every page."""

    total_cents: Cents
    patient_paid_cents: Cents
    insurer_expected_cents: Cents
    insurer_settled_cents: Cents
    outstanding_cents: Cents


class Reconciliation(Page):
    """One page of the invoices issued from `from` to `to`, oldest first, with the totals of
    the whole period. As CSV: every row of the period, its columns in this order,
    `true`/`false`, and an empty cell for null."""

    from_: Annotated[Day, Field(alias="from")]
    to: Day
    items: list[ReconciliationRow]
    totals: ReconciliationTotals
