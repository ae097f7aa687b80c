"""The versioned nomenclature: lookup by code and service date, and the shipped table."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from chalicelib.domain import nomenclature
from chalicelib.domain.nomenclature import Act


def make_table(*rows: dict[str, Any]) -> str:
    return json.dumps({"version": "test-1", "source": "unit test", "acts": list(rows)})


def row(code: str, tariff: int, valid_from: str, reimbursable: bool = True) -> dict[str, Any]:
    return {
        "code": code,
        "label": f"Acte {code}",
        "tariff_cents": tariff,
        "valid_from": valid_from,
        "reimbursable": reimbursable,
    }


# Rows deliberately out of order: the lookup must not depend on the file's order.
TABLE = nomenclature.parse(
    make_table(
        row("X1", 1200, "2025-01-01"),
        row("X1", 1000, "2024-01-01"),
        row("X1", 1100, "2024-07-01"),
    )
)


@pytest.mark.parametrize(
    ("on", "tariff"),
    [
        (date(2024, 1, 1), 1000),  # first day of the first row
        (date(2024, 6, 30), 1000),  # eve of the change
        (date(2024, 7, 1), 1100),  # day of the change
        (date(2024, 12, 31), 1100),
        (date(2025, 1, 1), 1200),
        (date(2030, 1, 1), 1200),  # the latest row stays in force
    ],
)
def test_tariff_change_picks_the_row_in_force(on: date, tariff: int) -> None:
    assert TABLE.act("X1", on).tariff_cents == tariff


def test_before_the_first_valid_from() -> None:
    with pytest.raises(ValueError, match=r"^not valid on the service date$"):
        TABLE.act("X1", date(2023, 12, 31))


def test_unknown_code() -> None:
    with pytest.raises(ValueError, match=r"^unknown code$"):
        TABLE.act("X2", date(2025, 1, 1))


def test_codes_match_case_insensitively_after_stripping() -> None:
    assert TABLE.act("  x1 ", date(2025, 1, 1)).tariff_cents == 1200


def test_shipped_c1_matches_the_contract_example() -> None:
    assert nomenclature.act("C1", date(2026, 11, 20)) == Act(
        code="C1",
        label="Consultation du médecin généraliste",
        tariff_cents=5770,
        valid_from=date(2023, 9, 1),
        reimbursable=True,
    )


def test_shipped_c1_tariff_change() -> None:
    assert nomenclature.act("c1", date(2023, 8, 31)).tariff_cents == 5630
    assert nomenclature.act("c1", date(2023, 9, 1)).tariff_cents == 5770
    with pytest.raises(ValueError, match=r"^not valid on the service date$"):
        nomenclature.act("C1", date(2023, 3, 31))


def test_shipped_unknown_code() -> None:
    with pytest.raises(ValueError, match=r"^unknown code$"):
        nomenclature.act("C999", date(2026, 11, 20))


@pytest.mark.parametrize("number", range(1, 9))
def test_shipped_convenances_personnelles_are_billed_never_reimbursed(number: int) -> None:
    act = nomenclature.act(f"CP{number}", date(2026, 11, 20))
    assert act.code == f"CP{number}"
    assert act.tariff_cents > 0
    assert act.reimbursable is False
    assert act.label.startswith("Convenance personnelle")


def test_shipped_table_is_cached_and_described() -> None:
    first = nomenclature.table()
    assert nomenclature.table() is first
    assert first.version.strip()
    assert "2023" in first.source
    assert "cns.public.lu" in first.source


@pytest.mark.parametrize(
    "bad",
    [
        make_table(row("X1", 1000, "2024-01-01"), row("x1", 900, "2024-07-01")),  # lower case
        make_table(row("X1", 1000, "2024-01-01"), row("X1", 900, "2024-01-01")),  # same date
        make_table({**row("X1", 1000, "2024-01-01"), "tariff_cents": 10.5}),
        make_table({**row("X1", 1000, "2024-01-01"), "tariff_cents": True}),
        make_table({**row("X1", 1000, "2024-01-01"), "tariff_cents": -1}),
        make_table({**row("X1", 1000, "2024-01-01"), "reimbursable": "yes"}),
        make_table({**row("X1", 1000, "2024-01-01"), "valid_from": "01/01/2024"}),
        make_table({**row("X1", 1000, "2024-01-01"), "extra": 1}),
        make_table({**row("X1", 1000, "2024-01-01"), "label": "  "}),
        json.dumps({"version": "v", "acts": []}),  # no source
        "not json",
    ],
)
def test_malformed_table_is_a_defect_not_a_422(bad: str) -> None:
    with pytest.raises(RuntimeError):
        nomenclature.parse(bad)
