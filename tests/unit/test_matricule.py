"""The national identification number: format, check digits, birth date, age."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum import luhn, verhoeff

from chalicelib.domain import matricule

VALID = "1893120105732"  # the contract's valid example: born 1 December 1893
# The same number in fullwidth digits: `str.isdigit()` accepts them, the rule must not.
FULLWIDTH = "".join(chr(0xFF10 + int(digit)) for digit in VALID)


def with_check_digits(first_eleven: str) -> str:
    """A matricule with correct check digits, computed independently with stdnum."""
    luhn_digit = luhn.calc_check_digit(first_eleven)
    return first_eleven + luhn_digit + verhoeff.calc_check_digit(first_eleven)


def test_contract_examples() -> None:
    assert matricule.normalize(VALID) == VALID
    with pytest.raises(ValueError, match=r"^invalid check digits$"):
        matricule.normalize("1893120105733")


def test_helper_agrees_with_the_contract_example() -> None:
    assert with_check_digits("18931201057") == VALID


def test_spaces_are_dropped() -> None:
    assert matricule.normalize(" 1893 1201 057 32 ") == VALID


@pytest.mark.parametrize(
    "raw",
    ["", "189312010573", "18931201057321", "189312010573a", "1893-1201-05732", FULLWIDTH],
)
def test_not_thirteen_ascii_digits(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^must be 13 digits$"):
        matricule.normalize(raw)


@pytest.mark.parametrize("wrong", ["1893120105702", "1893120105731"])
def test_each_check_digit_is_verified(wrong: str) -> None:
    # The first changes only the Luhn digit, the second only the Verhoeff digit.
    with pytest.raises(ValueError, match=r"^invalid check digits$"):
        matricule.normalize(wrong)


def test_message_never_contains_the_input() -> None:
    with pytest.raises(ValueError, match="check digits") as caught:
        matricule.normalize("1893120105733")
    assert "1893" not in str(caught.value)


@pytest.mark.parametrize(
    ("first_eleven", "born"),
    [
        ("19850000123", date(1985, 1, 1)),  # month and day unknown
        ("19850700123", date(1985, 7, 1)),  # day unknown
        ("20000229123", date(2000, 2, 29)),  # a leap day
        ("18500101001", date(1850, 1, 1)),  # the earliest accepted year
    ],
)
def test_valid_dates_and_earliest_birth_date(first_eleven: str, born: date) -> None:
    number = with_check_digits(first_eleven)
    assert matricule.normalize(number) == number
    assert matricule.birth_date(number) == born


@pytest.mark.parametrize(
    "first_eleven",
    [
        "19850015123",  # unknown month with a known day
        "19851301123",  # month 13
        "19850231123",  # 31 February
        "19010229123",  # 29 February of a common year
        "18491231123",  # before 1850
    ],
)
def test_invalid_birth_dates(first_eleven: str) -> None:
    with pytest.raises(ValueError, match=r"^invalid birth date$"):
        matricule.normalize(with_check_digits(first_eleven))


def test_birth_date_accepts_spaces_and_rejects_invalid() -> None:
    assert matricule.birth_date("1893 1201 05732") == date(1893, 12, 1)
    with pytest.raises(ValueError, match=r"^invalid check digits$"):
        matricule.birth_date("1893120105733")


def test_age_turns_on_the_birthday_not_the_eve() -> None:
    born_2008_11_20 = with_check_digits("20081120123")
    assert matricule.age_on(born_2008_11_20, date(2026, 11, 19)) == 17
    assert matricule.is_minor_on(born_2008_11_20, date(2026, 11, 19)) is True
    assert matricule.age_on(born_2008_11_20, date(2026, 11, 20)) == 18
    assert matricule.is_minor_on(born_2008_11_20, date(2026, 11, 20)) is False


def test_leap_day_birth_turns_on_first_of_march_in_common_years() -> None:
    born_2008_02_29 = with_check_digits("20080229123")
    assert matricule.age_on(born_2008_02_29, date(2026, 2, 28)) == 17
    assert matricule.is_minor_on(born_2008_02_29, date(2026, 2, 28)) is True
    assert matricule.age_on(born_2008_02_29, date(2026, 3, 1)) == 18
    assert matricule.is_minor_on(born_2008_02_29, date(2026, 3, 1)) is False
    # In a leap year the birthday itself exists.
    assert matricule.age_on(born_2008_02_29, date(2028, 2, 28)) == 19
    assert matricule.age_on(born_2008_02_29, date(2028, 2, 29)) == 20


def test_unknown_month_counts_as_january() -> None:
    born_2008 = with_check_digits("20080000123")
    assert matricule.is_minor_on(born_2008, date(2025, 12, 31)) is True
    assert matricule.is_minor_on(born_2008, date(2026, 1, 1)) is False


def test_day_of_birth_is_age_zero_and_before_birth_is_rejected() -> None:
    born = with_check_digits("20260315123")
    assert matricule.age_on(born, date(2026, 3, 15)) == 0
    with pytest.raises(ValueError, match=r"^date is before the birth date$"):
        matricule.age_on(born, date(2026, 3, 14))
