"""Pricing of lines and the split between insurer and patient."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import nomenclature
from chalicelib.domain.nomenclature import Act
from chalicelib.domain.shares import (
    Line,
    Split,
    insurer_rate_percent,
    priced_line,
    split,
)

DAY = date(2026, 11, 20)


def line(amount: int, reimbursable: bool = True) -> Line:
    return Line("X", "Acte", 1, amount, amount, reimbursable)


def act(code: str, tariff: int, reimbursable: bool = True) -> Act:
    return Act(code, f"Acte {code}", tariff, date(2024, 1, 1), reimbursable)


def test_contract_example_one_c1_cns_adult() -> None:
    c1 = priced_line(nomenclature.act("C1", DAY), 1)
    assert c1 == Line("C1", "Consultation du médecin généraliste", 1, 5770, 5770, True)
    assert split([c1], "CNS", minor=False) == Split(
        total_cents=5770, reimbursable_cents=5770, insurer_share_cents=5078, patient_share_cents=692
    )


def test_quantity_multiplies_the_tariff() -> None:
    assert priced_line(act("V9", 1234), 3) == Line("V9", "Acte V9", 3, 1234, 3702, True)
    # 3702 * 88 % = 3257.76 -> 3258
    assert split([priced_line(act("V9", 1234), 3)], "CNS", minor=False).insurer_share_cents == 3258


@pytest.mark.parametrize("quantity", [0, -1])
def test_quantity_must_be_positive(quantity: int) -> None:
    with pytest.raises(ValueError, match=r"^quantity must be at least 1$"):
        priced_line(act("X", 1000), quantity)


def test_line_invariant_is_checked() -> None:
    with pytest.raises(ValueError, match=r"^amount must be unit price times quantity$"):
        Line("X", "Acte", 2, 1000, 1000, True)


@pytest.mark.parametrize("insurer", ["CNS", "CMFEP", "CMFEC", "EMCFL"])
def test_rates_of_the_national_funds(insurer: str) -> None:
    assert insurer_rate_percent(insurer, minor=False) == 88
    assert insurer_rate_percent(insurer, minor=True) == 100


def test_rcam_is_85_whatever_the_age() -> None:
    assert insurer_rate_percent("RCAM", minor=False) == 85
    assert insurer_rate_percent("RCAM", minor=True) == 85
    assert split([line(5770)], "RCAM", minor=True) == Split(5770, 5770, 4905, 865)  # 4904.5 -> 4905


def test_unknown_insurer() -> None:
    with pytest.raises(ValueError, match=r"^unknown insurer$"):
        insurer_rate_percent("cns", minor=False)


def test_minor_is_fully_covered() -> None:
    assert split([line(5770)], "CNS", minor=True) == Split(5770, 5770, 5770, 0)


@pytest.mark.parametrize(
    ("insurer", "amount", "share"),
    [
        ("RCAM", 10, 9),  # 8.50 -> 9: exactly half a cent rounds up
        ("RCAM", 30, 26),  # 25.50 -> 26
        ("RCAM", 17, 14),  # 14.45 -> 14
        ("CNS", 4, 4),  # 3.52 -> 4
        ("CNS", 21, 18),  # 18.48 -> 18 (88 % of whole cents never ends in exactly .5)
        ("CNS", 13, 11),  # 11.44 -> 11
        ("CNS", 1, 1),  # 0.88 -> 1
        ("CNS", 0, 0),
    ],
)
def test_half_up_rounding(insurer: str, amount: int, share: int) -> None:
    result = split([line(amount)], insurer, minor=False)
    assert result.insurer_share_cents == share
    assert result.patient_share_cents == amount - share


def test_rounded_once_per_invoice_not_per_line() -> None:
    # Per line: 8.5 -> 9 twice = 18. Per invoice: 20 * 85 % = 17.
    assert split([line(10), line(10)], "RCAM", minor=False).insurer_share_cents == 17


def test_convenance_personnelle_is_paid_by_the_patient() -> None:
    c1 = priced_line(nomenclature.act("C1", DAY), 1)
    cp1 = priced_line(nomenclature.act("CP1", DAY), 1)
    assert cp1.reimbursable is False
    result = split([c1, cp1], "CNS", minor=False)
    assert result == Split(
        total_cents=5770 + cp1.amount_cents,
        reimbursable_cents=5770,
        insurer_share_cents=5078,
        patient_share_cents=692 + cp1.amount_cents,
    )
    # Even a minor pays the convenance personnelle in full.
    assert split([c1, cp1], "CNS", minor=True).patient_share_cents == cp1.amount_cents


def test_mixed_invoice_exact_numbers() -> None:
    lines = [line(5770), line(8150), line(1500, reimbursable=False), line(2500, reimbursable=False)]
    # reimbursable 13920 * 88 % = 12249.6 -> 12250
    assert split(lines, "CMFEP", minor=False) == Split(17920, 13920, 12250, 5670)
