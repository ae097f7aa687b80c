"""What an invoice counts for in the reconciliation, and what each change adds to its day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from itertools import pairwise

from chalicelib.domain.invoices import Invoice
from chalicelib.domain.reconciliation import NOTHING, Amounts, amounts_of, change

ISSUED = Invoice(
    invoice_id="inv_01KAAAAAAAAAAAAAAAAAAAAAAA",
    number="2026-000001",
    doctor_code="123456-78",
    practice_name="Dr Anne Weber",
    practice_specialty=None,
    patient_matricule="1893120105732",
    patient_name="Marie Schmit",
    insurer="CNS",
    service_date=date(2026, 11, 20),
    issued_at=datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
    status="issued",
    nomenclature_version="2026-01",
    lines=(),
    total_cents=5770,
    insurer_share_cents=5078,
    patient_share_cents=692,
    paid_cents=0,
    payments=(),
    direct_payment=False,
    qr="",
    document_id=None,
)
DIRECT = replace(ISSUED, direct_payment=True, status="claimed", claim_id="clm_01KAAAAAAAAAAAAAAAAAAAAAAA")


def test_a_plain_invoice_is_owed_by_the_patient_alone() -> None:
    assert amounts_of(ISSUED) == Amounts(5770, 0, 0, 0, 5770)
    paid = replace(ISSUED, paid_cents=5770, status="paid")
    assert amounts_of(paid) == Amounts(5770, 5770, 0, 0, 0)
    # The insurer reimburses the patient, not the practice: nothing settles for the practice.
    assert amounts_of(replace(paid, status="reimbursed", settled_cents=5078)) == amounts_of(paid)


def test_a_direct_payment_invoice_expects_the_insurers_share() -> None:
    assert amounts_of(DIRECT) == Amounts(5770, 0, 5078, 0, 5770)
    settled = replace(DIRECT, paid_cents=692, status="reimbursed", settled_cents=5000)
    assert amounts_of(settled) == Amounts(5770, 692, 5078, 5000, 78)


def test_a_cancelled_invoice_has_nothing_outstanding() -> None:
    assert amounts_of(replace(ISSUED, paid_cents=100, status="cancelled")) == Amounts(5770, 100, 0, 0, 0)


def test_the_changes_of_an_invoice_add_up_to_its_amounts() -> None:
    steps = [
        DIRECT,
        replace(DIRECT, paid_cents=300),
        replace(DIRECT, paid_cents=692),
        replace(DIRECT, paid_cents=692, status="reimbursed", settled_cents=5078),
    ]
    total = change(None, steps[0])
    for before, after in pairwise(steps):
        total += change(before, after)
    assert total == amounts_of(steps[-1]) == Amounts(5770, 692, 5078, 5078, 0)
    assert change(steps[-1], steps[-1]) == NOTHING
    assert amounts_of(None) == NOTHING
