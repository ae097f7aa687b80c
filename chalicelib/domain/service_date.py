"""When a service may have taken place for an invoice to be issued for it.

Not in the future (nobody bills care not yet given), and not more than two years back
(the window the contract sets for issuing a mémoire d'honoraires).
"""

from __future__ import annotations

from datetime import date

MAX_YEARS_BACK = 2


def earliest_allowed(today: date) -> date:
    """The same calendar day two years before `today`; from 29 February, 28 February.

    Falling back to 28 February (rather than 1 March) keeps the window at its widest when
    the anniversary does not exist: the patient loses no day of the two years.
    """
    year = today.year - MAX_YEARS_BACK
    if today.month == 2 and today.day == 29:
        return date(year, 2, 28)
    return today.replace(year=year)


def check(day: date, today: date) -> None:
    """ValueError unless `earliest_allowed(today) <= day <= today`.

    `today` is the practice's calendar date in Europe/Luxembourg, given by the caller:
    this module never reads a clock.
    """
    if day > today:
        raise ValueError("must not be in the future")
    if day < earliest_allowed(today):
        raise ValueError("must not be more than two years back")
