"""Time comes from a clock that tests can replace, never from `datetime.now()` directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LUXEMBOURG = ZoneInfo("Europe/Luxembourg")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


_current: Clock = SystemClock()


def current() -> Clock:
    """The clock the API and the event handlers use."""
    return _current


def use(clock: Clock) -> None:
    """Replace the process-wide clock (tests only)."""
    global _current
    _current = clock


def local_date(instant: datetime) -> date:
    """The practice's calendar date of an instant (Europe/Luxembourg)."""
    return instant.astimezone(LUXEMBOURG).date()


def rfc3339(instant: datetime) -> str:
    """An instant as RFC 3339 in UTC with millisecond precision and a `Z`."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rfc3339_or_none(instant: datetime | None) -> str | None:
    """`rfc3339`, for an instant that may not have happened (yet): None stays None."""
    return None if instant is None else rfc3339(instant)


def local_rfc3339(instant: datetime) -> str:
    """An instant as RFC 3339 with the practice's offset (`2026-11-24T08:00:00+01:00`): the
    reader sees the wall-clock time, and the instant stays exact."""
    return instant.astimezone(LUXEMBOURG).isoformat(timespec="seconds")
