from datetime import UTC, date, datetime, time

import pytest

from chalicelib.domain import slots
from chalicelib.domain.calendar import LUXEMBOURG, local_rfc3339
from chalicelib.domain.slots import Availability, InvalidAvailability, Window

WEEKDAYS = tuple(Window(day, time(8), time(12)) for day in range(1, 6))
MORNINGS = Availability(30, WEEKDAYS)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def starts(found: list[slots.Slot]) -> list[str]:
    return [local_rfc3339(s.start) for s in found]


def test_a_window_is_cut_into_whole_slots() -> None:
    hours = Availability(45, (Window(2, time(8), time(10)),))
    found = list(slots.slots_on(hours, date(2026, 11, 24)))
    assert starts(found) == ["2026-11-24T08:00:00+01:00", "2026-11-24T08:45:00+01:00"]
    assert local_rfc3339(found[-1].end) == "2026-11-24T09:30:00+01:00"


def test_closed_days_and_weekends_have_no_slots() -> None:
    hours = Availability(30, WEEKDAYS, frozenset({date(2026, 11, 24)}))
    assert list(slots.slots_on(hours, date(2026, 11, 24))) == []
    assert list(slots.slots_on(hours, date(2026, 11, 28))) == []
    assert len(list(slots.slots_on(hours, date(2026, 11, 25)))) == 8


def test_booked_and_past_slots_are_not_free() -> None:
    now = datetime(2026, 11, 24, 8, 10, tzinfo=LUXEMBOURG)
    booked = [datetime(2026, 11, 24, 9, 30, tzinfo=LUXEMBOURG).astimezone(UTC)]
    found = slots.free_slots(MORNINGS, date(2026, 11, 24), date(2026, 11, 24), booked, now)
    assert starts(found) == [
        "2026-11-24T08:30:00+01:00",
        "2026-11-24T09:00:00+01:00",
        "2026-11-24T10:00:00+01:00",
        "2026-11-24T10:30:00+01:00",
        "2026-11-24T11:00:00+01:00",
        "2026-11-24T11:30:00+01:00",
    ]


def test_spring_forward_week_2026() -> None:
    """Clocks go from 02:00 to 03:00 on Sunday 29 March 2026: Saturday's slots are at +01:00,
    Monday's at +02:00, and Sunday's night window loses the hour that does not exist."""
    hours = Availability(30, (*WEEKDAYS, Window(6, time(8), time(9)), Window(7, time(1), time(4))))
    found = slots.free_slots(hours, date(2026, 3, 28), date(2026, 3, 30), [], LONG_AGO)
    assert starts(found) == [
        "2026-03-28T08:00:00+01:00",
        "2026-03-28T08:30:00+01:00",
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:30:00+02:00",
        *[f"2026-03-30T{h:02d}:{m:02d}:00+02:00" for h in range(8, 12) for m in (0, 30)],
    ]
    # The same wall-clock hour is an hour earlier in UTC after the change.
    assert found[0].start.astimezone(UTC).hour == 7
    assert found[-1].start.astimezone(UTC).hour == 9
    assert all((s.end - s.start).total_seconds() == 1800 for s in found)


def test_fall_back_week_2026() -> None:
    """Clocks go from 03:00 back to 02:00 on Sunday 25 October 2026: the hour 02:00-03:00
    happens twice, and each of its slots is offered once per real half hour."""
    hours = Availability(30, (*WEEKDAYS, Window(6, time(8), time(9)), Window(7, time(1), time(4))))
    found = slots.free_slots(hours, date(2026, 10, 24), date(2026, 10, 26), [], LONG_AGO)
    assert starts(found) == [
        "2026-10-24T08:00:00+02:00",
        "2026-10-24T08:30:00+02:00",
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:30:00+01:00",
        *[f"2026-10-26T{h:02d}:{m:02d}:00+01:00" for h in range(8, 12) for m in (0, 30)],
    ]
    assert found[0].start.astimezone(UTC).hour == 6
    assert found[-1].start.astimezone(UTC).hour == 10
    utc_starts = [s.start.astimezone(UTC) for s in found]
    assert len(set(utc_starts)) == len(utc_starts)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 24, 8, 30, tzinfo=LUXEMBOURG), "2026-11-24T09:00:00+01:00"),
        (datetime(2026, 11, 24, 7, 30, tzinfo=UTC), "2026-11-24T09:00:00+01:00"),
        (datetime(2026, 3, 30, 8, 0, tzinfo=LUXEMBOURG), "2026-03-30T08:30:00+02:00"),
    ],
)
def test_slot_at_a_boundary_whatever_the_offset_given(moment: datetime, expected: str) -> None:
    found = slots.slot_at(MORNINGS, moment)
    assert found is not None
    assert local_rfc3339(found.end) == expected


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 24, 8, 15, tzinfo=LUXEMBOURG),  # inside a slot
        datetime(2026, 11, 24, 12, 0, tzinfo=LUXEMBOURG),  # closing time
        datetime(2026, 11, 24, 7, 30, tzinfo=LUXEMBOURG),  # before opening
        datetime(2026, 11, 28, 8, 0, tzinfo=LUXEMBOURG),  # Saturday
    ],
)
def test_not_a_slot(moment: datetime) -> None:
    assert slots.slot_at(MORNINGS, moment) is None


@pytest.mark.parametrize(
    ("availability", "field"),
    [
        (Availability(4, WEEKDAYS), "slot_minutes"),
        (Availability(241, WEEKDAYS), "slot_minutes"),
        (Availability(30, (Window(1, time(12), time(8)),)), "weekly"),
        (Availability(30, (Window(1, time(8), time(12)), Window(1, time(11), time(14)))), "weekly"),
        (Availability(30, (Window(8, time(8), time(12)),)), "weekly"),
    ],
)
def test_invalid_hours_name_the_field(availability: Availability, field: str) -> None:
    with pytest.raises(InvalidAvailability) as caught:
        slots.check(availability)
    assert caught.value.field == field


def test_adjacent_windows_are_fine() -> None:
    slots.check(Availability(30, (Window(1, time(8), time(12)), Window(1, time(12), time(14)))))


def test_day_bounds_are_local_midnights() -> None:
    since, until = slots.day_bounds(date(2026, 3, 29), date(2026, 3, 29))
    assert (until - since).total_seconds() == 23 * 3600
