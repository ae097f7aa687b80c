"""The life of an invoice: issued → paid → claimed → reimbursed or rejected; or cancelled."""

from __future__ import annotations

from typing import Literal

Status = Literal["issued", "paid", "claimed", "reimbursed", "rejected", "cancelled"]

# Payments are taken until the patient's part is settled; a claim or a cancellation ends that.
PAYABLE: tuple[Status, ...] = ("issued", "paid")
# Where a claim exists, the invoice's status follows the claim.
CLAIM_STATES: tuple[Status, ...] = ("claimed", "reimbursed", "rejected")
# A pending claim is withdrawn with its invoice; once the insurer has decided, the invoice it
# decided on must stay as it is.
CANCELLABLE: tuple[Status, ...] = ("issued", "paid", "claimed")


def payable(direct_payment: bool) -> tuple[Status, ...]:
    """The statuses in which the patient may still pay. With direct payment the claim exists
    from issuance and concerns the insurer's share only, so the patient's share stays payable."""
    return PAYABLE + CLAIM_STATES if direct_payment else PAYABLE


def at_issue(paid_cents: int, owed_cents: int, direct_payment: bool) -> Status:
    """A direct-payment invoice is claimed from the start: its claim is issued with it."""
    return "claimed" if direct_payment else after_payment("issued", paid_cents, owed_cents)


def owed_by_patient(total_cents: int, patient_share_cents: int, direct_payment: bool) -> int:
    """With direct payment the insurer pays its share to the doctor: the patient owes the rest."""
    return patient_share_cents if direct_payment else total_cents


def after_payment(status: Status, paid_cents: int, owed_cents: int) -> Status:
    """A payment moves an invoice between issued and paid; a claim's progress outranks it."""
    if status not in PAYABLE:
        return status
    return "paid" if paid_cents >= owed_cents else "issued"


def check_payment(already_paid: int, amount: int, owed_cents: int) -> None:
    if amount > owed_cents - already_paid:
        raise ValueError(f"exceeds what is still owed ({owed_cents - already_paid} cents)")


def outstanding_cents(status: Status, total_cents: int, paid_cents: int, settled_cents: int) -> int:
    """What the practice is still to receive on an invoice: the total, less what the patient
    paid and what the insurer paid the practice (direct payment). Nothing once cancelled."""
    if status == "cancelled":
        return 0
    return max(total_cents - paid_cents - settled_cents, 0)
