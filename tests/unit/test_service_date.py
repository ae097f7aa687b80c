"""The window of service dates an invoice may be issued for."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import service_date

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize("day", [TODAY, date(2026, 11, 19), date(2024, 11, 20)])
def test_inside_the_window(day: date) -> None:
    service_date.check(day, TODAY)


def test_tomorrow_is_in_the_future() -> None:
    with pytest.raises(ValueError, match=r"^must not be in the future$"):
        service_date.check(date(2026, 11, 21), TODAY)


def test_one_day_more_than_two_years_back() -> None:
    with pytest.raises(ValueError, match=r"^must not be more than two years back$"):
        service_date.check(date(2024, 11, 19), TODAY)


def test_leap_day_today_reaches_back_to_28_february() -> None:
    today = date(2028, 2, 29)
    assert service_date.earliest_allowed(today) == date(2026, 2, 28)
    service_date.check(date(2026, 2, 28), today)
    with pytest.raises(ValueError, match=r"^must not be more than two years back$"):
        service_date.check(date(2026, 2, 27), today)


def test_leap_day_service_two_years_later() -> None:
    assert service_date.earliest_allowed(date(2026, 2, 28)) == date(2024, 2, 28)
    service_date.check(date(2024, 2, 29), date(2026, 2, 28))
    with pytest.raises(ValueError, match=r"^must not be more than two years back$"):
        service_date.check(date(2024, 2, 29), date(2026, 3, 1))
