"""The schedule engine (chalicelib.domain.vaccination_schedule) from a table of patients: who
was born when, what they were given, and what the Luxembourg schedule says on a day."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest

from chalicelib.domain import vaccination_schedule as engine
from chalicelib.domain.vaccination_schedule import Duration, Recommendation
from chalicelib.domain.vaccine_targets import TARGETS

HEXAVALENT = ("diphtheria", "tetanus", "pertussis", "polio", "hib", "hepatitis_b")
DT = ("diphtheria", "tetanus", "pertussis")


@dataclass(frozen=True)
class Given:
    given_on: date
    targets: tuple[str, ...]


def advice(birth: date, today: date, *doses: Given) -> list[Recommendation]:
    return engine.evaluate(engine.schedule(), birth, doses, today)


def one(items: list[Recommendation], rule: str, target: str) -> Recommendation | None:
    found = [i for i in items if i.rule == rule and i.target == target]
    assert len(found) <= 1
    return found[0] if found else None


def seen(item: Recommendation | None) -> tuple[object, ...] | None:
    if item is None:
        return None
    return item.dose, item.status, item.earliest_on, item.due_on, item.overdue_on


D = date
CASES = [
    pytest.param(
        # A newborn: the first doses are weeks away, and nothing is due yet.
        D(2026, 11, 20),
        D(2026, 11, 23),
        (),
        "hexavalent-infant",
        "tetanus",
        (1, "upcoming", D(2027, 1, 1), D(2027, 1, 20), D(2027, 2, 20)),
        id="newborn",
    ),
    pytest.param(
        D(2026, 11, 20),
        D(2026, 11, 23),
        (),
        "rotavirus-infant",
        "rotavirus",
        (1, "upcoming", D(2027, 1, 1), D(2027, 1, 20), D(2027, 2, 20)),
        id="newborn-rotavirus",
    ),
    pytest.param(
        # Five months old, the 4-month hexavalent dose missed: catch-up, overdue from 5 months.
        D(2026, 6, 10),
        D(2026, 11, 10),
        (
            Given(D(2026, 8, 10), HEXAVALENT),
            Given(D(2026, 8, 10), ("pneumococcal",)),
            Given(D(2026, 10, 10), ("pneumococcal",)),
        ),
        "hexavalent-infant",
        "hepatitis_b",
        (2, "overdue", D(2026, 9, 7), D(2026, 10, 10), D(2026, 11, 10)),
        id="five-months-one-dose-missed",
    ),
    pytest.param(
        D(2026, 6, 10),
        D(2026, 11, 10),
        (Given(D(2026, 8, 10), ("pneumococcal",)), Given(D(2026, 10, 10), ("pneumococcal",))),
        "pneumococcal-infant",
        "pneumococcal",
        (3, "upcoming", D(2027, 4, 10), D(2027, 5, 10), D(2027, 6, 10)),
        id="five-months-pneumococcal-on-time",
    ),
    pytest.param(
        # Given at three weeks, before the six weeks the first dose needs: it does not count.
        D(2026, 6, 10),
        D(2026, 8, 20),
        (Given(D(2026, 7, 1), HEXAVALENT),),
        "hexavalent-infant",
        "polio",
        (1, "due", D(2026, 7, 22), D(2026, 8, 10), D(2026, 9, 10)),
        id="dose-given-too-early",
    ),
    pytest.param(
        # The second dose two weeks after the first, inside its four-week interval: not counted.
        D(2026, 1, 10),
        D(2026, 6, 1),
        (Given(D(2026, 3, 10), HEXAVALENT), Given(D(2026, 3, 24), HEXAVALENT)),
        "hexavalent-infant",
        "hib",
        (2, "due", D(2026, 4, 7), D(2026, 5, 10), D(2026, 6, 10)),
        id="second-dose-too-soon",
    ),
    pytest.param(
        D(2026, 1, 10),
        D(2026, 12, 20),
        (
            Given(D(2026, 3, 10), HEXAVALENT),
            Given(D(2026, 5, 10), HEXAVALENT),
            Given(D(2026, 12, 10), HEXAVALENT),
        ),
        "hexavalent-infant",
        "tetanus",
        (3, "complete", None, None, None),
        id="series-complete",
    ),
    pytest.param(
        # Eleven years after the last tetanus booster: a year overdue.
        D(1980, 5, 5),
        D(2026, 11, 23),
        (Given(D(2015, 9, 1), DT),),
        "dtap-adult",
        "tetanus",
        (2, "overdue", D(2020, 9, 1), D(2025, 9, 1), D(2026, 9, 1)),
        id="adult-tetanus-11-years-ago",
    ),
    pytest.param(
        D(1980, 5, 5),
        D(2026, 11, 23),
        (Given(D(2019, 9, 1), DT),),
        "dtap-adult",
        "tetanus",
        (2, "upcoming", D(2024, 9, 1), D(2029, 9, 1), D(2030, 9, 1)),
        id="adult-tetanus-7-years-ago",
    ),
    pytest.param(
        # 66 in October: this season's influenza is due.
        D(1960, 3, 1),
        D(2026, 10, 15),
        (),
        "influenza-65",
        "influenza",
        (1, "due", D(2026, 10, 1), D(2026, 10, 1), D(2026, 12, 1)),
        id="66-in-october",
    ),
    pytest.param(
        D(1960, 3, 1),
        D(2026, 10, 15),
        (Given(D(2026, 10, 5), ("influenza",)),),
        "influenza-65",
        "influenza",
        (2, "upcoming", D(2027, 10, 1), D(2027, 10, 1), D(2027, 12, 1)),
        id="66-in-october-vaccinated",
    ),
    pytest.param(
        # In May the season is over: the next one is to come, not overdue.
        D(1960, 3, 1),
        D(2027, 5, 2),
        (),
        "influenza-65",
        "influenza",
        (1, "upcoming", D(2027, 10, 1), D(2027, 10, 1), D(2027, 12, 1)),
        id="66-in-may",
    ),
    pytest.param(
        # 65 in January: from the birthday on, with the season's two months of margin.
        D(1962, 1, 10),
        D(2026, 10, 15),
        (),
        "influenza-65",
        "influenza",
        (1, "upcoming", D(2027, 1, 10), D(2027, 1, 10), D(2027, 3, 12)),
        id="65-within-the-season",
    ),
    pytest.param(
        D(1960, 3, 1),
        D(2026, 10, 15),
        (),
        "pneumococcal-65",
        "pneumococcal",
        (1, "overdue", D(2020, 3, 1), D(2025, 3, 1), D(2026, 3, 1)),
        id="66-pneumococcal",
    ),
    pytest.param(
        # Rotavirus catch-up closes at 24 weeks: a six-year-old is past it.
        D(2020, 1, 1),
        D(2026, 11, 23),
        (),
        "rotavirus-infant",
        "rotavirus",
        None,
        id="catch-up-closed",
    ),
    pytest.param(
        # An adult dose does not count for a child's series, which closed long ago.
        D(1960, 3, 1),
        D(2026, 10, 15),
        (Given(D(2015, 9, 1), DT),),
        "dtap-ipv-child",
        "tetanus",
        None,
        id="child-row-closed",
    ),
    pytest.param(
        D(2014, 2, 1),
        D(2026, 11, 23),
        (Given(D(2023, 3, 1), ("hpv",)),),
        "hpv-adolescent",
        "hpv",
        (2, "overdue", D(2023, 8, 1), D(2023, 9, 1), D(2024, 3, 1)),
        id="hpv-second-dose-missed",
    ),
]


@pytest.mark.parametrize(("birth", "today", "doses", "rule", "target", "expected"), CASES)
def test_the_schedule_says(
    birth: date,
    today: date,
    doses: tuple[Given, ...],
    rule: str,
    target: str,
    expected: tuple[object, ...] | None,
) -> None:
    assert seen(one(advice(birth, today, *doses), rule, target)) == expected


def test_a_newborn_sees_the_first_two_years_and_nothing_overdue() -> None:
    today = D(2026, 11, 23)
    items = advice(D(2026, 11, 20), today)
    shown = engine.in_view(items, today)
    assert {i.status for i in shown} == {"upcoming"}
    assert {i.rule for i in shown} == {
        "hexavalent-infant",
        "rotavirus-infant",
        "pneumococcal-infant",
        "menb-infant",
        "mmr-child",
        "varicella-child",
        "menacwy-child",
    }
    # The influenza of their 65th birthday is in the forecast, out of view.
    assert one(items, "influenza-65", "influenza") is not None


def test_the_most_pressing_come_first() -> None:
    items = advice(D(1960, 3, 1), D(2026, 10, 15), Given(D(2015, 9, 1), DT))
    order = {"overdue": 0, "due": 1, "upcoming": 2, "complete": 3}
    assert [order[i.status] for i in items] == sorted(order[i.status] for i in items)


def test_a_due_dose_is_one_reminder_for_every_target_it_covers() -> None:
    items = advice(D(2026, 6, 10), D(2026, 8, 12))
    reminders = {r.key: r for r in engine.due_now(items)}
    assert set(reminders) == {"hexavalent-infant#1", "pneumococcal-infant#1", "rotavirus-infant#1"}
    assert set(reminders["hexavalent-infant#1"].targets) == set(HEXAVALENT)
    assert reminders["hexavalent-infant#1"].due_on == D(2026, 8, 10)
    # Told of those, the patient is next looked at when MenB falls due, at three months.
    assert engine.next_due(items, reminders) == D(2026, 9, 10)
    assert engine.next_due(items, ()) == D(2026, 8, 10)


def test_a_booster_reminder_is_named_by_its_due_day() -> None:
    first = advice(D(1980, 5, 5), D(2026, 11, 23), Given(D(2015, 9, 1), DT))
    later = advice(D(1980, 5, 5), D(2036, 11, 23), Given(D(2026, 11, 23), DT))
    assert {r.key for r in engine.due_now(first)} >= {"dtap-adult#2025-09-01"}
    assert "dtap-adult#2036-11-23" in {r.key for r in engine.due_now(later)}


@pytest.mark.parametrize(
    ("text", "start", "moved"),
    [
        ("P1M", D(2026, 1, 31), D(2026, 2, 28)),
        ("P6W", D(2026, 11, 20), D(2027, 1, 1)),
        ("P65Y", D(1960, 2, 29), D(2025, 2, 28)),
        ("P1Y2M3D", D(2026, 11, 30), D(2028, 2, 2)),
    ],
)
def test_durations_move_days_as_calendars_do(text: str, start: date, moved: date) -> None:
    assert Duration.parse(text).after(start) == moved


@pytest.mark.parametrize("text", ["P", "2M", "P1.5Y", "PT1H", "P-1M"])
def test_a_malformed_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        Duration.parse(text)


def test_the_schedule_file_is_versioned_sourced_and_names_the_contracts_targets() -> None:
    plan = engine.schedule()
    assert plan.version and plan.source
    assert plan.targets == TARGETS
    for row in plan.rows:
        assert row.source, row.id
        assert row.confirmed or row.note, f"{row.id} says neither that it was confirmed nor why not"


def _row(**fields: object) -> str:
    row = {"id": "x", "vaccine": "X", "targets": ["tetanus"], "source": "s", "confirmed": False, **fields}
    return json.dumps({"version": "1", "source": "s", "targets": list(TARGETS), "rows": [row]})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {
                "doses": [{"age": "P2M", "min_age": "P6W"}],
                "grace": "P1M",
                "repeat": {"interval": "P10Y", "min_interval": "P5Y", "from_age": "P18Y"},
            },
            "exactly one",
        ),
        ({}, "exactly one"),
        ({"doses": [{"min_age": "P6W"}], "grace": "P1M"}, "an age or an interval"),
        ({"doses": [{"age": "P2M", "min_age": "P6W"}]}, "a grace"),
        ({"repeat": {"interval": "P10Y", "min_interval": "P5Y", "from_age": "P18Y"}}, "a grace"),
        ({"targets": ["smallpox"], "doses": [{"age": "P2M", "min_age": "P6W"}], "grace": "P1M"}, "targets"),
    ],
)
def test_a_malformed_row_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        engine.parse(_row(**fields))
