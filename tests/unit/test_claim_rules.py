"""The pure rules of claims: deadline, proof of payment, decisions; and invoice statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain import invoice_status
from chalicelib.domain.claims import Decision, DecisionRequest, InvalidDecision, check_paid_at, due_at, settle

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
