"""Slot arithmetic: a practice's weekly opening hours cut into appointment slots.

Opening hours are wall-clock times in Europe/Luxembourg. A window is turned into two instants
(its opening and its closing on that calendar day) and cut into slots of `slot_minutes` of
real time, so the days on which the clocks change are right without special cases: on
29 March 2026 a window 01:00-04:00 lasts two real hours (the hour 02:00-03:00 does not exist),
on 25 October 2026 it lasts four (the hour 02:00-03:00 happens twice). A wall-clock time that
does not exist or happens twice is read as its first reading (PEP 495 `fold=0`).

Pure: no I/O, no clock; the caller says what "now" and the booked slots are.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from chalicelib.domain.calendar import LUXEMBOURG
from chalicelib.domain.slot_terms import MAX_SLOT_MINUTES, MIN_SLOT_MINUTES


class InvalidAvailability(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, order=True)
class Window:
    """Opening hours on one weekday (ISO: 1 is Monday, 7 is Sunday), `start` < `end`."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class Availability:
    slot_minutes: int
    weekly: tuple[Window, ...]
    # Exceptions: days closed whatever the weekly hours say.
    closed: frozenset[date] = frozenset()


@dataclass(frozen=True, order=True)
class Slot:
    """One bookable slot. Both instants are in UTC: Python compares and subtracts two
    datetimes of the same zone by their wall-clock readings, which is wrong on the night the
    clocks go back; shown to people, they are converted to Europe/Luxembourg."""

    start: datetime
    end: datetime


def check(availability: Availability) -> None:
    """InvalidAvailability naming the broken rule: a slot length out of range, a window that
    ends before it starts, or two windows of one weekday that overlap."""
    if not MIN_SLOT_MINUTES <= availability.slot_minutes <= MAX_SLOT_MINUTES:
        raise InvalidAvailability(
            "slot_minutes", f"must be between {MIN_SLOT_MINUTES} and {MAX_SLOT_MINUTES}"
        )
    previous: Window | None = None
    for window in sorted(availability.weekly):
        if not 1 <= window.weekday <= 7:
            raise InvalidAvailability("weekly", "weekday must be 1 (Monday) to 7 (Sunday)")
        if window.start >= window.end:
            raise InvalidAvailability("weekly", "a window must end after it starts")
        if previous is not None and previous.weekday == window.weekday and window.start < previous.end:
            raise InvalidAvailability("weekly", "windows of the same weekday overlap")
        previous = window


def _instant(day: date, wall: time) -> datetime:
    return datetime.combine(day, wall, tzinfo=LUXEMBOURG)


def slots_on(availability: Availability, day: date) -> Iterator[Slot]:
    """The slots of one calendar day in Luxembourg, in order; only whole slots that end by
    the window's closing time."""
    if day in availability.closed:
        return
    length = timedelta(minutes=availability.slot_minutes)
    for window in sorted(availability.weekly):
        if window.weekday != day.isoweekday():
            continue
        # Arithmetic in UTC: adding minutes to an aware local time would add wall-clock
        # minutes, which is wrong across a change of the clocks.
        start = _instant(day, window.start).astimezone(UTC)
        closing = _instant(day, window.end).astimezone(UTC)
        while start + length <= closing:
            yield Slot(start, start + length)
            start += length


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def free_slots(
    availability: Availability,
    first: date,
    last: date,
    booked: Collection[datetime],
    now: datetime,
) -> list[Slot]:
    """Slots from `first` to `last` (Luxembourg dates, inclusive) that start after `now` and
    whose start is not in `booked` (aware instants)."""
    taken = {instant.astimezone(UTC) for instant in booked}
    return [
        slot
        for day in days(first, last)
        for slot in slots_on(availability, day)
        if slot.start > now and slot.start not in taken
    ]


def slot_at(availability: Availability, start: datetime) -> Slot | None:
    """The slot that begins at `start` (aware), or None when `start` is not a slot boundary
    inside the opening hours."""
    wanted = start.astimezone(UTC)
    for slot in slots_on(availability, start.astimezone(LUXEMBOURG).date()):
        if slot.start == wanted:
            return slot
    return None


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants (UTC) that open `first` and close `last` in Luxembourg, half-open."""
    return (
        _instant(first, time()).astimezone(UTC),
        _instant(last + timedelta(days=1), time()).astimezone(UTC),
    )
