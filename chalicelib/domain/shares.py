"""Pricing of invoice lines and the split of an invoice between insurer and patient.

Rules (API contract, "Invoices"): the insurer pays 88 % of the reimbursable amount for an
adult and 100 % for a patient under 18 on the service date; RCAM (the EU institutions'
scheme) pays 85 % whatever the age. Acts that are not reimbursable (the convenances
personnelles CP1 to CP8) are billed but paid by the patient alone.

The insurer's share is rounded half up to the cent once per invoice, not per line, so that
splitting an act over several lines never changes what the insurer owes. Integer
arithmetic only: money is integer cents and no float ever touches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.insurers import INSURERS

if TYPE_CHECKING:
    from chalicelib.domain.nomenclature import Act

ADULT_RATE_PERCENT = 88
MINOR_RATE_PERCENT = 100
RCAM_RATE_PERCENT = 85


@dataclass(frozen=True)
class Line:
    """One priced line of an invoice, as the contract shows it."""

    code: str
    label: str
    quantity: int
    unit_cents: int
    amount_cents: int
    reimbursable: bool

    def __post_init__(self) -> None:
        # A line read back from storage is checked as strictly as a freshly priced one:
        # a total that does not add up must never reach an insurer.
        if self.quantity < 1:
            raise ValueError("quantity must be at least 1")
        if self.unit_cents < 0:
            raise ValueError("unit price must not be negative")
        if self.amount_cents != self.unit_cents * self.quantity:
            raise ValueError("amount must be unit price times quantity")


def priced_line(act: Act, quantity: int) -> Line:
    """A line for `quantity` times `act`, at the tariff of the row in force."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    return Line(
        code=act.code,
        label=act.label,
        quantity=quantity,
        unit_cents=act.tariff_cents,
        amount_cents=act.tariff_cents * quantity,
        reimbursable=act.reimbursable,
    )


@dataclass(frozen=True)
class Split:
    """Who pays what of one invoice; `insurer + patient == total` always holds."""

    total_cents: int
    reimbursable_cents: int
    insurer_share_cents: int
    patient_share_cents: int


def insurer_rate_percent(insurer: str, minor: bool) -> int:
    """The share of the reimbursable amount the insurer pays, in whole percent."""
    if insurer not in INSURERS:
        raise ValueError("unknown insurer")
    if insurer == "RCAM":
        return RCAM_RATE_PERCENT
    return MINOR_RATE_PERCENT if minor else ADULT_RATE_PERCENT


def split(lines: Sequence[Line], insurer: str, minor: bool) -> Split:
    """The split of an invoice made of `lines`; `minor` is the age on the service date."""
    rate = insurer_rate_percent(insurer, minor)
    total = sum(line.amount_cents for line in lines)
    reimbursable = sum(line.amount_cents for line in lines if line.reimbursable)
    # Half up on non-negative integers: adding half the divisor before the floor division
    # turns an exact .5 cent into the cent above, and anything below .5 into the one below.
    insurer_share = (reimbursable * rate + 50) // 100
    return Split(
        total_cents=total,
        reimbursable_cents=reimbursable,
        insurer_share_cents=insurer_share,
        patient_share_cents=total - insurer_share,
    )
