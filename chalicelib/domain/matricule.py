"""The Luxembourg national identification number ("matricule"), `YYYYMMDDNNNCC`.

Thirteen digits: the birth date (month and day may be `00` when unknown), a three-digit
serial, then two check digits computed over the first eleven digits: the Luhn digit
(digit 12) and the Verhoeff digit (digit 13). The check-digit algorithms come from
python-stdnum rather than being written by hand: a well-kept, tested library is worth more
than a local copy of an algorithm that is easy to get subtly wrong.

Error messages never repeat the input: a matricule is personal data.
"""

from __future__ import annotations

import re
from datetime import date

# ASCII digits only: `str.isdigit()` would also accept Arabic-Indic or fullwidth digits.
_THIRTEEN_DIGITS = re.compile(r"[0-9]{13}")

# Nobody alive or recently deceased was born earlier; a smaller year is a typo.
_EARLIEST_YEAR = 1850

ADULT_AGE = 18


def normalize(raw: str) -> str:
    """The 13 digits of a matricule typed by a person, or ValueError.

    Whitespace is dropped wherever it is (the number is often printed in groups,
    `1893 1201 057 32`). The check digits are verified before the date, because a wrong
    check digit is the usual sign of a typo anywhere in the number, including the date.
    """
    # On first use, not at import: stdnum's package loads `ssl` with it (cold start).
    from stdnum import luhn, verhoeff

    digits = "".join(raw.split())
    if not _THIRTEEN_DIGITS.fullmatch(digits):
        raise ValueError("must be 13 digits")
    body = digits[:11]
    expected = luhn.calc_check_digit(body) + verhoeff.calc_check_digit(body)
    if digits[11:] != expected:
        raise ValueError("invalid check digits")
    _check_birth_date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    return digits


def _check_birth_date(year: int, month: int, day: int) -> None:
    """A real calendar date, where `00` stands for an unknown month or day.

    An unknown month with a known day (`YYYY00DD`) is rejected: it is not a date anyone
    can be registered with, so it is a typo.
    """
    if year < _EARLIEST_YEAR:
        raise ValueError("invalid birth date")
    if month == 0:
        if day != 0:
            raise ValueError("invalid birth date")
        return
    if not 1 <= month <= 12:
        raise ValueError("invalid birth date")
    if day == 0:
        return
    try:
        date(year, month, day)
    except ValueError:
        raise ValueError("invalid birth date") from None


def birth_date(m: str) -> date:
    """The earliest possible birth date: an unknown month is January, an unknown day the 1st.

    Why the earliest: it is deterministic and makes a patient of uncertain birth date come
    of age at the earliest moment they possibly could, so the 100 % rate for minors is
    never applied to someone who may already be an adult. The cost is that such a patient
    may be billed at the adult rate for part of their seventeenth year.
    """
    digits = normalize(m)
    year, month, day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
    return date(year, month or 1, day or 1)


def age_on(m: str, day: date) -> int:
    """Age in whole years on `day`; the birthday itself counts as having turned that age.

    Someone born on 29 February turns a year older on 1 March in common years (they have
    not yet reached their birthday on 28 February). A `day` before the birth date is
    rejected rather than answered with a negative age.
    """
    born = birth_date(m)
    if day < born:
        raise ValueError("date is before the birth date")
    not_yet = (day.month, day.day) < (born.month, born.day)
    return day.year - born.year - int(not_yet)


def is_minor_on(m: str, day: date) -> bool:
    """Under 18 on `day`: on the 18th birthday the patient is an adult."""
    return age_on(m, day) < ADULT_AGE
