"""The Luxembourg vaccination schedule and the engine that reads a patient's booklet against it.

The schedule ships inside the package (`vaccination_schedule.json`, next to this module), with
its version and the source of each row; a row says `confirmed: false` where its ages were not
read from the official calendar. Nothing is read at import time: `schedule()` parses the file
on first use and caches it.

A row is one of three kinds:
- a series (`doses`): each dose has a minimum age, a minimum interval from the previous dose
  that counted, and a recommended age or interval. A dose given before its minimum age or
  interval does not count: the engine matches the doses given, in date order, to the series'
  doses and skips those given too early. Catch-up is the same rule: a missed dose is due from
  its earliest date until the row closes (`until_age`);
- a booster (`repeat`): due `interval` after the last dose of the target, whatever row it
  counted for, from `from_age` on;
- a season (`season`): one dose each season from `from_age`, the season opening on a day of
  the year and closing on a day of the next.

The engine is pure: a birth date, the doses given and a day in; a recommendation per target of
each row out, with its status on that day (`upcoming` before `due_on`, `due`, `overdue` from
`overdue_on`, or `complete` for a series fully given).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal, Protocol

_FILE = "vaccination_schedule.json"
_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?")

Status = Literal["due", "overdue", "upcoming", "complete"]
# Upcoming doses further ahead than this are left out of the booklet's view: a newborn's list
# shows the first two years, not the influenza of their 65th.
HORIZON = timedelta(days=2 * 366)
_ORDER: dict[Status, int] = {"overdue": 0, "due": 1, "upcoming": 2, "complete": 3}


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration of years, months, weeks and days, as the schedule writes ages."""

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        found = _DURATION.fullmatch(text)
        if found is None or text == "P":
            raise ValueError(f"not a duration of years, months, weeks and days: {text!r}")
        years, months, weeks, days = (int(part or 0) for part in found.groups())
        return cls(years, months, 7 * weeks + days)

    def after(self, day: date) -> date:
        """`day` moved on by this duration; a month end is kept within the shorter month."""
        month = day.month - 1 + self.months
        year = day.year + self.years + month // 12
        month = month % 12 + 1
        # The last day of the month: the day before the next month's first.
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        moved = day.replace(year=year, month=month, day=min(day.day, last))
        return moved + timedelta(days=self.days)


NONE = Duration()


@dataclass(frozen=True)
class Dose:
    """One dose of a series: given from `min_age` and `min_interval` after the previous one;
    recommended at `age` or `interval` after the previous one; overdue `grace` after that."""

    min_age: Duration
    age: Duration | None
    interval: Duration | None
    min_interval: Duration
    grace: Duration


@dataclass(frozen=True)
class Repeat:
    interval: Duration
    min_interval: Duration
    from_age: Duration


@dataclass(frozen=True)
class Season:
    """Days of the year as (month, day): the season of year Y opens on `opens` of Y, is
    overdue from `overdue` of Y and closes on `closes` of Y + 1."""

    opens: tuple[int, int]
    overdue: tuple[int, int]
    closes: tuple[int, int]
    from_age: Duration

    def of(self, year: int) -> tuple[date, date, date]:
        return date(year, *self.opens), date(year, *self.overdue), date(year + 1, *self.closes)


@dataclass(frozen=True)
class Row:
    id: str
    vaccine: str
    targets: tuple[str, ...]
    doses: tuple[Dose, ...] = ()
    repeat: Repeat | None = None
    season: Season | None = None
    until_age: Duration | None = None
    # A booster's margin between due and overdue.
    grace: Duration = NONE
    source: str = ""
    confirmed: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Schedule:
    version: str
    source: str
    targets: tuple[str, ...]
    rows: tuple[Row, ...]


class Given(Protocol):
    """A dose in the booklet, as far as the schedule cares."""

    @property
    def given_on(self) -> date: ...

    @property
    def targets(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Recommendation:
    """The next dose of `rule` for `target`, or the row's series complete (no dates then).
    `reminder` names the dose for reminders: a patient is told of it once."""

    target: str
    dose: int
    status: Status
    earliest_on: date | None
    due_on: date | None
    overdue_on: date | None
    rule: str
    reminder: str


@dataclass(frozen=True)
class Reminder:
    """A dose that is due, with every target it covers."""

    key: str
    rule: str
    dose: int
    targets: tuple[str, ...]
    due_on: date


def _day_of_year(text: str) -> tuple[int, int]:
    month, day = (int(part) for part in text.split("-"))
    date(2000, month, day)  # a real day of the year (2000 has a 29 February)
    return month, day


def _duration(raw: dict[str, Any], key: str) -> Duration | None:
    return Duration.parse(raw[key]) if key in raw else None


def _dose(raw: dict[str, Any], row_grace: Duration | None) -> Dose:
    age, interval = _duration(raw, "age"), _duration(raw, "interval")
    if age is None and interval is None:
        raise ValueError("a dose needs an age or an interval")
    grace = _duration(raw, "grace") or row_grace
    if grace is None:
        raise ValueError("a dose needs a grace, its own or its row's")
    return Dose(Duration.parse(raw["min_age"]), age, interval, _duration(raw, "min_interval") or NONE, grace)


def _row(raw: dict[str, Any], targets: tuple[str, ...]) -> Row:
    name = str(raw["id"])
    row_targets = tuple(str(t) for t in raw["targets"])
    if not row_targets or not set(row_targets) <= set(targets):
        raise ValueError(f"row {name}: targets outside the schedule's list")
    grace = _duration(raw, "grace")
    doses = tuple(_dose(d, grace) for d in raw.get("doses", []))
    repeat = season = None
    if "repeat" in raw:
        r = raw["repeat"]
        repeat = Repeat(
            Duration.parse(r["interval"]), Duration.parse(r["min_interval"]), Duration.parse(r["from_age"])
        )
        if grace is None:
            raise ValueError(f"row {name}: a booster needs a grace")
    if "season" in raw:
        s = raw["season"]
        days = (_day_of_year(s["opens"]), _day_of_year(s["overdue"]), _day_of_year(s["closes"]))
        season = Season(*days, from_age=Duration.parse(s["from_age"]))
    if sum(map(bool, (doses, repeat, season))) != 1:
        raise ValueError(f"row {name}: exactly one of doses, repeat or season")
    return Row(
        id=name,
        vaccine=str(raw["vaccine"]),
        targets=row_targets,
        doses=doses,
        repeat=repeat,
        season=season,
        until_age=_duration(raw, "until_age"),
        grace=grace or NONE,
        source=str(raw["source"]),
        confirmed=bool(raw["confirmed"]),
        note=str(raw["note"]) if raw.get("note") else None,
    )


def parse(text: str) -> Schedule:
    """A schedule file's content, checked: every row's kind, ages and targets."""
    raw = json.loads(text)
    targets = tuple(raw["targets"])
    rows = tuple(_row(row, targets) for row in raw["rows"])
    ids = [row.id for row in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("row ids must be unique")
    return Schedule(str(raw["version"]), str(raw["source"]), targets, rows)


@cache
def schedule() -> Schedule:
    """The schedule the deployed code recommends from."""
    return parse(resources.files(__package__).joinpath(_FILE).read_text(encoding="utf-8"))


def _status(today: date, due_on: date, overdue_on: date) -> Status:
    if today >= overdue_on:
        return "overdue"
    return "due" if today >= due_on else "upcoming"


def _series(row: Row, target: str, birth: date, given: list[date], today: date) -> Recommendation | None:
    counted: list[date] = []
    closes = row.until_age.after(birth) if row.until_age else date.max
    rest = iter(given)
    for number, dose in enumerate(row.doses, start=1):
        earliest = dose.min_age.after(birth)
        if counted:
            earliest = max(earliest, dose.min_interval.after(counted[-1]))
        # A dose given before it may count is skipped: it does not count, here or later.
        found = next((day for day in rest if day >= earliest), None)
        if found is not None and found < closes:
            counted.append(found)
            continue
        if today >= closes or earliest >= closes:
            return None
        due = earliest
        if dose.age is not None:
            due = max(due, dose.age.after(birth))
        if dose.interval is not None and counted:
            due = max(due, dose.interval.after(counted[-1]))
        overdue = dose.grace.after(due)
        key = f"{row.id}#{number}"
        return Recommendation(
            target, number, _status(today, due, overdue), earliest, due, overdue, row.id, key
        )
    return Recommendation(target, len(row.doses), "complete", None, None, None, row.id, f"{row.id}#done")


def _booster(
    row: Row, repeat: Repeat, target: str, birth: date, given: list[date], today: date
) -> Recommendation:
    starts = repeat.from_age.after(birth)
    number = 1 + sum(1 for day in given if day >= starts)
    if given:
        earliest = max(starts, repeat.min_interval.after(given[-1]))
        due = max(starts, repeat.interval.after(given[-1]))
    else:
        earliest = due = starts
    overdue = row.grace.after(due)
    return Recommendation(
        target,
        number,
        _status(today, due, overdue),
        earliest,
        due,
        overdue,
        row.id,
        f"{row.id}#{due.isoformat()}",
    )


def _seasonal(
    row: Row, season: Season, target: str, birth: date, given: list[date], today: date
) -> Recommendation:
    starts = season.from_age.after(birth)
    number = 1 + sum(1 for day in given if day >= starts)
    year = today.year if today >= date(today.year, *season.opens) else today.year - 1
    opens, overdue, closes = season.of(year)
    covered = any(opens <= day < closes for day in given)
    # A season that has closed, or was given, or that the patient is too young for by its
    # end: the next season the patient is old enough for is the one to come.
    while covered or today >= closes or starts >= closes:
        year += 1
        opens, overdue, closes = season.of(year)
        covered = False
    earliest = due = max(opens, starts)
    # Who becomes old enough within a season has the season's margin from then on.
    late = max(overdue, due + (overdue - opens))
    return Recommendation(
        target, number, _status(today, due, late), earliest, due, late, row.id, f"{row.id}#{due.isoformat()}"
    )


def evaluate(plan: Schedule, birth: date, doses: Iterable[Given], today: date) -> list[Recommendation]:
    """Every recommendation of `plan` for a patient born on `birth` who had `doses`, on
    `today`: one per target of each row that still applies (a series whose catch-up closed
    unfinished applies no more), most pressing first."""
    by_target: dict[str, list[date]] = {}
    for dose in doses:
        for target in dose.targets:
            by_target.setdefault(target, []).append(dose.given_on)
    for days in by_target.values():
        # Two entries of one day for one target are one dose.
        days[:] = sorted(set(days))
    found: list[Recommendation] = []
    for row in plan.rows:
        for target in row.targets:
            given = by_target.get(target, [])
            if row.repeat is not None:
                found.append(_booster(row, row.repeat, target, birth, given, today))
            elif row.season is not None:
                found.append(_seasonal(row, row.season, target, birth, given, today))
            else:
                one = _series(row, target, birth, given, today)
                if one is not None:
                    found.append(one)
    return sorted(found, key=_pressing)


def _pressing(item: Recommendation) -> tuple[int, date, str, str]:
    return _ORDER[item.status], item.due_on or date.max, item.rule, item.target


def in_view(items: Sequence[Recommendation], today: date) -> list[Recommendation]:
    """What the booklet shows: all but the upcoming doses beyond `HORIZON`."""
    return [
        i for i in items if i.status != "upcoming" or (i.due_on is not None and i.due_on <= today + HORIZON)
    ]


def due_now(items: Sequence[Recommendation]) -> list[Reminder]:
    """The doses due or overdue, each with the targets it covers, in the order of `items`."""
    grouped: dict[str, Reminder] = {}
    for item in items:
        if item.status not in ("due", "overdue") or item.due_on is None:
            continue
        known = grouped.get(item.reminder)
        targets = (*known.targets, item.target) if known else (item.target,)
        grouped[item.reminder] = Reminder(item.reminder, item.rule, item.dose, targets, item.due_on)
    return list(grouped.values())


def next_due(items: Sequence[Recommendation], told: Iterable[str]) -> date | None:
    """The first due date of a dose not complete whose patient was not told of it yet: when
    the reminder job should look at the patient again."""
    skip = set(told)
    days = [i.due_on for i in items if i.due_on is not None and i.reminder not in skip]
    return min(days, default=None)
