"""The life of an invoice: issued → paid → claimed → reimbursed or rejected; or cancelled."""

from __future__ import annotations

from typing import Literal

Status = Literal["issued", "paid", "claimed", "reimbursed", "rejected", "cancelled"]

# Payments are taken until the patient's part is settled; a claim or a cancellation ends that.
PAYABLE: tuple[Status, ...] = ("issued", "paid")
# Once an insurer holds a claim, the invoice it pays must stay as it is.
CANCELLABLE: tuple[Status, ...] = ("issued", "paid")


def owed_by_patient(total_cents: int, patient_share_cents: int, direct_payment: bool) -> int:
    """With direct payment the insurer pays its share to the doctor: the patient owes the rest."""
    return patient_share_cents if direct_payment else total_cents


def after_payment(paid_cents: int, owed_cents: int) -> Status:
    return "paid" if paid_cents >= owed_cents else "issued"


def check_payment(already_paid: int, amount: int, owed_cents: int) -> None:
    if amount > owed_cents - already_paid:
        raise ValueError(f"exceeds what is still owed ({owed_cents - already_paid} cents)")
