"""The pure rules of claims: deadline, proof of payment, decisions and what a decided claim
records; and invoice statuses and numbers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from chalicelib.domain import invoice_status
from chalicelib.domain.claims import (
    Claim,
    Decision,
    DecisionRequest,
    InvalidDecision,
    check_paid_at,
    decided,
    due_at,
    recorded,
    settle,
)
from chalicelib.domain.invoices import invoice_number, number_parts

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_due_five_days_after_submission() -> None:
    assert due_at(NOW) == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def test_paid_at_between_service_day_and_now() -> None:
    check_paid_at(NOW, NOW.date(), date(2026, 11, 20), NOW)
    check_paid_at(datetime(2026, 11, 19, 23, 30, tzinfo=UTC), date(2026, 11, 20), date(2026, 11, 20), NOW)
    with pytest.raises(ValueError, match="future"):
        check_paid_at(datetime(2026, 11, 23, 9, 31, tzinfo=UTC), NOW.date(), date(2026, 11, 20), NOW)
    with pytest.raises(ValueError, match="before the service date"):
        check_paid_at(datetime(2026, 11, 19, 12, tzinfo=UTC), date(2026, 11, 19), date(2026, 11, 20), NOW)


def test_reimbursement_defaults_to_what_was_claimed() -> None:
    assert settle(DecisionRequest("reimbursed", None, None, "P1"), 5078) == Decision(
        "reimbursed", 5078, None, "P1"
    )
    assert settle(DecisionRequest("reimbursed", 5078, "partiel", None), 5078).reimbursed_cents == 5078


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (DecisionRequest("reimbursed", 5079, None, None), "reimbursed_cents"),
        (DecisionRequest("reimbursed", 0, None, None), "reimbursed_cents"),
        (DecisionRequest("rejected", None, None, None), "reason"),
        (DecisionRequest("rejected", 10, "x", None), "reimbursed_cents"),
        (DecisionRequest("rejected", None, "x", "P1"), "payment_reference"),
    ],
)
def test_invalid_decisions_name_the_field(request_: DecisionRequest, field: str) -> None:
    with pytest.raises(InvalidDecision) as raised:
        settle(request_, 5078)
    assert raised.value.field == field


def test_rejection_pays_nothing() -> None:
    assert settle(DecisionRequest("rejected", None, "non couvert", None), 5078) == Decision(
        "rejected", 0, "non couvert", None
    )


def test_invoice_status_follows_claims() -> None:
    assert invoice_status.at_issue(0, 5770, direct_payment=False) == "issued"
    assert invoice_status.at_issue(5770, 5770, direct_payment=False) == "paid"
    assert invoice_status.at_issue(0, 692, direct_payment=True) == "claimed"
    assert invoice_status.after_payment("claimed", 692, 692) == "claimed"
    assert invoice_status.after_payment("issued", 692, 692) == "paid"
    assert "claimed" in invoice_status.payable(direct_payment=True)
    assert "claimed" not in invoice_status.payable(direct_payment=False)
    assert "claimed" in invoice_status.CANCELLABLE
    assert not {"reimbursed", "rejected"} & set(invoice_status.CANCELLABLE)


def test_outstanding_is_what_the_practice_still_receives() -> None:
    assert invoice_status.outstanding_cents("claimed", 5770, 692, 0) == 5078
    assert invoice_status.outstanding_cents("reimbursed", 5770, 692, 5078) == 0
    assert invoice_status.outstanding_cents("cancelled", 5770, 0, 0) == 0


PENDING = Claim(
    "clm_01KAAAAAAAAAAAAAAAAAAAAAAA",
    invoice_id="inv_01KAAAAAAAAAAAAAAAAAAAAAAA",
    kind="reimbursement",
    channel="app",
    status="pending",
    insurer="CNS",
    invoice_number="2026-000001",
    doctor_code="123456-78",
    patient_matricule="1893120105732",
    service_date=date(2026, 11, 20),
    total_cents=5770,
    amount_claimed_cents=5078,
    proof=None,
    submitted_at=NOW,
    due_at=due_at(NOW),
)


def test_a_decided_claim_records_its_decision_and_a_pending_one_none() -> None:
    decision = settle(DecisionRequest("reimbursed", 5000, "partiel", "SEPA-1"), 5078)
    later = datetime(2026, 11, 24, 8, tzinfo=UTC)
    after = decided(PENDING, decision, later)
    assert (after.status, after.decided_at, after.reimbursed_cents) == ("reimbursed", later, 5000)
    assert recorded(after) == decision
    assert recorded(PENDING) is None
    assert recorded(replace(PENDING, status="withdrawn", decided_at=later)) is None


def test_an_invoice_number_is_its_year_and_its_place_in_the_sequence() -> None:
    assert invoice_number(2026, 42) == "2026-000042"
    assert number_parts("2026-000042") == (2026, 42)
