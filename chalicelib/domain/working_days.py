"""Working days in Luxembourg: Monday to Friday, except the public holidays the `holidays`
library knows for Luxembourg (New Year, Easter Monday, 1 May, Europe Day, Ascension, Whit
Monday, National Day, Assumption, All Saints, Christmas and St Stephen's Day).

`holidays` is imported inside the functions (cold start). Each year's holidays are computed
once per process: the set of a given year never changes, so remembering it is no state.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import date, timedelta

_SATURDAY = 5


@functools.cache
def _holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays("LU", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < _SATURDAY and day not in _holidays(day.year)


def _working_days_from(first: date) -> Iterator[date]:
    day = first
    while True:
        if is_working_day(day):
            yield day
        day += timedelta(days=1)


def nth_working_day(first: date, n: int) -> date:
    """The `n`th working day counted from `first` (itself the first where it is one): the
    3rd from a Thursday before a weekend is the Monday."""
    if n < 1:
        raise ValueError("n counts from 1")
    days = _working_days_from(first)
    for _ in range(n - 1):
        next(days)
    return next(days)


def on_or_after(day: date) -> date:
    """`day`, or the next working day where it is not one: a time limit that ends on a
    weekend or a public holiday runs to the next working day."""
    return nth_working_day(day, 1)
