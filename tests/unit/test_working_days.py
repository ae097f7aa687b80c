"""Working-day deadlines with Luxembourg's public holidays, weekends and the turn of the year."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import working_days
from chalicelib.domain.certificates import deadlines


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # a Monday
        (date(2026, 11, 28), False),  # a Saturday
        (date(2026, 11, 29), False),  # a Sunday
        (date(2026, 6, 23), False),  # National Day, a Tuesday
        (date(2026, 5, 9), False),  # Europe Day
        (date(2026, 12, 25), False),  # Christmas, a Friday
        (date(2027, 1, 1), False),  # New Year, a Friday
        (date(2027, 1, 4), True),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert working_days.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "employer_by", "insurer_by"),
    [
        # Monday to Wednesday: nothing in the way.
        (date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 25)),
        # The day before National Day (Tuesday 23 June): Monday, Wednesday, Thursday.
        (date(2026, 6, 22), date(2026, 6, 24), date(2026, 6, 25)),
        # Over a weekend: Thursday, Friday, Monday; the employer's 3rd day is a Saturday.
        (date(2026, 11, 19), date(2026, 11, 23), date(2026, 11, 23)),
        # Starting on a Saturday: Monday is the first working day.
        (date(2026, 11, 21), date(2026, 11, 23), date(2026, 11, 25)),
        # Across New Year: Thursday 31 December, Friday 1 January is a holiday, then Friday 2…
        (date(2026, 12, 31), date(2027, 1, 4), date(2027, 1, 5)),
        # Christmas Eve: 25 and 26 December are holidays, then a weekend.
        (date(2026, 12, 24), date(2026, 12, 28), date(2026, 12, 29)),
    ],
)
def test_deadlines(start: date, employer_by: date, insurer_by: date) -> None:
    due = deadlines(start)
    assert (due.employer_by, due.insurer_by) == (employer_by, insurer_by)


def test_across_new_year_counts_the_next_years_holidays() -> None:
    # 2027 starts on a Friday: 30 December 2026 (Wednesday), 31st, then Monday 4 January.
    assert working_days.nth_working_day(date(2026, 12, 30), 3) == date(2027, 1, 4)


def test_counts_from_one() -> None:
    assert working_days.nth_working_day(date(2026, 11, 23), 1) == date(2026, 11, 23)
    with pytest.raises(ValueError, match="counts from 1"):
        working_days.nth_working_day(date(2026, 11, 23), 0)
