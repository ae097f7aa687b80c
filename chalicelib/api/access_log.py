"""The patient's access journal: who read or changed their data, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.edge import PATIENT, Call, route
from chalicelib.api.fields import FirstDay, LastDay, ListQuery, PatientId
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339

if TYPE_CHECKING:
    from chalicelib.domain.journal import Entry

bp = Blueprint(__name__)


class AccessLogQuery(ListQuery):
    from_: FirstDay = None
    to: LastDay = None
    for_: Annotated[PatientId | None, Field(alias="for")] = None


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


@route(bp, "/patient/access-log", roles=PATIENT, query=AccessLogQuery, answer="AccessLogPage")
def access_log(call: Call) -> dict[str, object]:
    """Who read or changed the patient's data, newest first; `for=` a relative's."""
    from chalicelib.services import journal

    query = call.args(AccessLogQuery)
    page = journal.read(
        call.me, query.for_, query.from_, query.to, query.limit, query.cursor, clock.current()
    )
    return {"items": [entry_json(e) for e in page.items], "next_cursor": page.next_cursor}
