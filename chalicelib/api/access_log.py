"""The patient's access journal: who read or changed their data, newest first."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.fields import ListQuery, Matricule
from chalicelib.api.http import PATIENT, Call, route
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.journal import Entry
from chalicelib.services import journal

bp = Blueprint(__name__)

# The days a filter may name: the journal's ids carry instants from 1970 on, and a bound keeps
# the day arithmetic away from the ends of the calendar.
JournalDay = Annotated[date, Field(ge=journal.EARLIEST, le=journal.LATEST)]


class AccessLogQuery(ListQuery):
    from_: JournalDay | None = Field(default=None, alias="from")
    to: JournalDay | None = None
    for_: Matricule | None = Field(default=None, alias="for")


def entry_json(entry: Entry) -> dict[str, object]:
    """An entry as the patient sees it: the actor's internal reference and the patient's own
    matricule stay inside."""
    return {
        "id": entry.access_id,
        "at": rfc3339(entry.at),
        "actor": {"kind": entry.actor.kind, "id": entry.actor.id, "name": entry.actor.name},
        "action": entry.action,
        "object": {"type": entry.object.type, "id": entry.object.id},
        "emergency": entry.emergency,
    }


@route(bp, "/patient/access-log", roles=PATIENT)
def access_log(call: Call) -> dict[str, object]:
    query = call.args(AccessLogQuery)
    page = journal.read(
        call.me, query.for_, query.from_, query.to, query.limit, query.cursor, clock.current()
    )
    return {"items": [entry_json(e) for e in page.items], "next_cursor": page.next_cursor}
