"""The practice's reconciliation, for its accounting software: JSON pages, or the whole period
as CSV."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Annotated, Literal

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.edge import DOCTOR, Call, Reply, route
from chalicelib.api.fields import Day, ListQuery, rule
from chalicelib.domain.reconciliation import MAX_DAYS

if TYPE_CHECKING:
    from chalicelib.services import reconciliation

bp = Blueprint(__name__)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The largest CSV answered inline, well under the 6 MB a Lambda function may answer; a larger
# one goes to the vault and the answer is a 303 to it.
INLINE_CSV_BYTES = 1024 * 1024


class Period(ListQuery):
    """`limit` and `cursor` page the JSON answer; the CSV is the whole period."""

    from_: Annotated[Day, Field(alias="from", description="First issue date, inclusive.")]
    to: Annotated[
        Day,
        Field(
            description="Last issue date, inclusive.",
            json_schema_extra=rule(f"not before `from`, and a period of at most {MAX_DAYS} days"),
        ),
    ]
    format: Literal["json", "csv"] = "json"


def _record(row: reconciliation.Row) -> dict[str, object]:
    record = dataclasses.asdict(row)
    record["issued_on"] = row.issued_on.isoformat()
    record["service_date"] = row.service_date.isoformat()
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


def _write_csv(rows: Iterator[reconciliation.Row], out: IO[bytes]) -> int:
    """Write the rows to `out` as CSV; how many bytes that made."""
    import csv

    from chalicelib.services import reconciliation

    columns = [field.name for field in dataclasses.fields(reconciliation.Row)]
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in _record(row).items()} for row in rows)
    # `out` stays open for the caller: the wrapper would close it when it goes.
    text.detach()
    return out.tell()


def _csv(call: Call, period: Period) -> Response | Reply:
    """The CSV in the answer, or past INLINE_CSV_BYTES a 303 to it in the vault. It is
    written to a file that stays in memory up to that size, so memory stays bounded."""
    import tempfile  # with `shutil`, `bz2` and `lzma`: only a CSV answer pays for them

    from chalicelib.services import reconciliation

    rows = reconciliation.rows(call.me, period.from_, period.to)
    filename = f"reconciliation-{period.from_}-{period.to}.csv"
    with tempfile.SpooledTemporaryFile(max_size=INLINE_CSV_BYTES) as out:
        size = _write_csv(rows, out)
        out.seek(0)
        if size > INLINE_CSV_BYTES:
            export = reconciliation.export(out, filename)
            return Reply(
                {"download_url": export.url, "download_expires_in": export.expires_in_seconds},
                303,
                {"Location": export.url},
            )
        body = out.read().decode()
    return Response(
        body,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@route(
    bp,
    "/practice/reconciliation",
    roles=DOCTOR,
    query=Period,
    answer="Reconciliation",
    text="text/csv",
)
def report(call: Call) -> dict[str, object] | Response | Reply:
    """One row per invoice issued in the period, to reconcile payments and settlements.

    JSON: one page of rows, oldest first (`limit`, `cursor`), with `totals` for the whole
    period on every page. CSV (`format=csv`, the same columns): the whole period in the
    answer, or past 1 MiB a 303 whose `Location` (also `download_url` in the body) fetches it
    from the vault for 5 minutes.
    """
    from chalicelib.services import reconciliation

    period = call.args(Period)
    if period.format == "csv":
        return _csv(call, period)
    found = reconciliation.report(call.me, period.from_, period.to, period.limit, period.cursor)
    return {
        "from": period.from_.isoformat(),
        "to": period.to.isoformat(),
        "items": [_record(row) for row in found.rows.items],
        "next_cursor": found.rows.next_cursor,
        "totals": dataclasses.asdict(found.totals),
    }
