"""The practice's calendar: Luxembourg's time zone, and how instants are written."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LUXEMBOURG = ZoneInfo("Europe/Luxembourg")


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
