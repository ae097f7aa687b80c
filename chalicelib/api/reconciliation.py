"""The practice's reconciliation, for its accounting software: JSON or CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Annotated, Literal

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.edge import DOCTOR, Call, route
from chalicelib.api.fields import Day, Query, rule
from chalicelib.services import reconciliation

bp = Blueprint(__name__)

COLUMNS = [field.name for field in dataclasses.fields(reconciliation.Row)]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Period(Query):
    from_: Annotated[Day, Field(alias="from", description="First issue date, inclusive.")]
    to: Annotated[
        Day,
        Field(
            description="Last issue date, inclusive.",
            json_schema_extra=rule(
                f"not before `from`, and a period of at most {reconciliation.MAX_DAYS} days"
            ),
        ),
    ]
    format: Literal["json", "csv"] = "json"


def _record(row: reconciliation.Row) -> dict[str, object]:
    record = dataclasses.asdict(row)
    record["issued_on"] = row.issued_on.isoformat()
    return record


def _cell(value: object) -> object:
    """Spreadsheets and accounting imports read lower-case booleans and empty cells best. Text
    that a spreadsheet would run as a formula (an insurer's payment reference is free text)
    is quoted, so opening the file runs nothing."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(rows: list[reconciliation.Row], period: Period) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in _record(row).items()} for row in rows)
    return Response(
        out.getvalue(),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": (f'attachment; filename="reconciliation-{period.from_}-{period.to}.csv"'),
        },
    )


@route(bp, "/practice/reconciliation", roles=DOCTOR, query=Period, answer="Reconciliation", text="text/csv")
def report(call: Call) -> dict[str, object] | Response:
    """One row per invoice issued in the period, to reconcile payments and settlements.

    JSON, or CSV with the same columns (`format=csv`), for the practice's accounting software.
    """
    period = call.args(Period)
    rows = reconciliation.report(call.me, period.from_, period.to)
    if period.format == "csv":
        return _csv(rows, period)
    totals = {
        column: sum(int(getattr(row, column)) for row in rows)
        for column in COLUMNS
        if column.endswith("_cents")
    }
    return {
        "from": period.from_.isoformat(),
        "to": period.to.isoformat(),
        "items": [_record(row) for row in rows],
        "totals": totals,
    }
