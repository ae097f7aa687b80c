"""The shared care record: practices upload, search and read documents; the patient, or a
minor's guardian, decides who may read the record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from chalice.app import Blueprint
from pydantic import Field, StringConstraints

from chalicelib.api.documents import document_json
from chalicelib.api.edge import PATIENT, PRACTICE, Call, Reply, route
from chalicelib.api.fields import (
    Body,
    Day,
    DoctorCode,
    FirstDay,
    ForQuery,
    LastDay,
    ListQuery,
    Matricule,
    Text,
    rule,
)
from chalicelib.core import clock
from chalicelib.core.errors import NotFound
from chalicelib.domain import doctor_code
from chalicelib.domain import record_terms as terms
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.documents import (
    MAX_UPLOAD_BYTES,
    Confidentiality,
    Document,
    DocumentType,
    UploadedType,
)

if TYPE_CHECKING:
    from chalicelib.domain.record_access import Record

bp = Blueprint(__name__)


class NewDocument(Body):
    patient_matricule: Matricule
    type: UploadedType
    title: Annotated[Text, Field(examples=["Compte rendu de consultation"])]
    confidentiality: Annotated[
        Confidentiality, Field(description="`restricted`: read only by practices the patient granted access.")
    ]
    content_type: Literal["application/pdf"]
    size_bytes: Annotated[int, Field(ge=1, le=MAX_UPLOAD_BYTES, description="The exact size of the PDF.")]
    sha256: Annotated[str, Field(pattern="^[0-9a-f]{64}$", description="The PDF's SHA-256, lowercase hex.")]


class Emergency(Body):
    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=terms.MIN_EMERGENCY_REASON, max_length=500),
        Field(description="Why the record is opened; kept with the emergency window, never sent on."),
    ]


class RecordSearch(Body):
    matricule: Matricule
    type: DocumentType | None = None
    from_: FirstDay = None
    to: LastDay = None
    emergency: Annotated[
        Emergency | None,
        Field(
            description="Doctors only: opens the record's non-hidden, non-restricted documents "
            "to the practice for 24 hours, and tells the patient at once.",
            json_schema_extra=rule("the caller is a doctor (else 403)"),
        ),
    ] = None


class NewGrant(Body):
    doctor_code: Annotated[DoctorCode, Field(json_schema_extra=rule("a registered practice"))]
    until: Annotated[
        Day | None,
        Field(
            description="The last day (Europe/Luxembourg) it works; until withdrawn where absent.",
            json_schema_extra=rule("not before today"),
        ),
    ] = None


class NewBlock(Body):
    doctor_code: Annotated[DoctorCode, Field(json_schema_extra=rule("a registered practice"))]


def _record_json(record: Record) -> dict[str, object]:
    return {
        "status": record.status,
        "grants": [
            {"doctor_code": g.doctor_code, "name": g.name, "until": g.until.isoformat() if g.until else None}
            for g in record.grants
        ],
        "blocks": [{"doctor_code": b.doctor_code, "name": b.name} for b in record.blocks],
    }


def _code(call: Call) -> str:
    """The doctor code a path names, as stored; a path naming none names nothing there is."""
    try:
        return doctor_code.normalize(call.params["doctor_code"])
    except ValueError as exc:
        raise NotFound("no such practice in this record") from exc


@route(
    bp,
    "/records/documents",
    method="POST",
    roles=PRACTICE,
    status=201,
    body=NewDocument,
    answer="PendingDocument",
    idempotent=True,
)
def announce(call: Call) -> dict[str, object]:
    """Add a document to a patient's record: a presigned upload, then `complete`.

    PUT the PDF to `upload.url` with exactly `upload.headers` within 5 minutes: they are
    signed, so another length, type or checksum is refused before any byte is stored. A
    practice the patient blocked, or a closed record, is 403.
    """
    from chalicelib.services import records

    body = call.body(NewDocument)
    made = records.announce(
        call.me,
        body.patient_matricule,
        body.type,
        body.title,
        body.confidentiality,
        body.size_bytes,
        body.sha256,
        clock.current(),
    )
    return {
        "id": made.document.document_id,
        "status": made.document.status,
        "upload": {
            "url": made.url,
            "method": "PUT",
            "headers": made.headers,
            "expires_at": rfc3339(made.expires_at),
        },
    }


@route(
    bp,
    "/records/documents/{document_id}/complete",
    method="POST",
    roles=PRACTICE,
    answer="CompletedDocument",
    errors=(404, 409, 422),
)
def complete(call: Call) -> dict[str, object]:
    """Check the uploaded PDF and make it available in the record.

    The stored object must have the announced size and SHA-256 and be a PDF: otherwise it is
    deleted and the answer is 422 on the announcement's `size_bytes`, `sha256` or
    `content_type` (upload again while the URL lasts, then complete). Before any upload it is
    409. Done,
    the patient is told (`document.received`); completing again answers the same. Another
    practice's document is 404.
    """
    from chalicelib.services import records

    done = records.complete(call.me, call.params["document_id"], clock.current())
    return {"id": done.document_id, "status": done.status}


@route(
    bp,
    "/records/search",
    method="POST",
    roles=PRACTICE,
    body=RecordSearch,
    query=ListQuery,
    answer="RecordDocumentPage",
)
def search(call: Call) -> dict[str, object]:
    """The documents of a patient's record this practice may see, newest first.

    The matricule travels in the body. A practice with no right at all (no care relationship
    in the last 12 months, no grant, blocked, or a closed record) is 403; a hidden document
    is seen by its author alone, a restricted one with a grant. A page reads a bounded number
    of documents, so it may hold fewer than `limit`; the list ends when `next_cursor` is null.
    """
    from chalicelib.services import records

    body = call.body(RecordSearch)
    query = call.args(ListQuery)
    page = records.search(
        call.me,
        body.matricule,
        body.type,
        body.from_,
        body.to,
        body.emergency.reason if body.emergency else None,
        query.limit,
        query.cursor,
        clock.current(),
    )
    return {"items": [_professional_json(d) for d in page.items], "next_cursor": page.next_cursor}


def _professional_json(document: Document) -> dict[str, object]:
    shown = document_json(document)
    del shown["hidden"]
    return {**shown, "confidentiality": document.confidentiality, "author_code": document.author_code}


@route(bp, "/records/documents/{document_id}", roles=PRACTICE, answer="RecordDownload", errors=(404,))
def read(call: Call) -> dict[str, object]:
    """One document this practice may see, and a download URL valid for 5 minutes."""
    from chalicelib.services import records

    found = records.read(call.me, call.params["document_id"], clock.current())
    return {
        **_professional_json(found.document),
        "download_url": found.url,
        "download_expires_in": found.expires_in_seconds,
    }


@route(bp, "/patient/record", roles=PATIENT, query=ForQuery, answer="RecordSettings")
def record(call: Call) -> dict[str, object]:
    """Whether the record is open, and the practices granted access or blocked; `for=` a
    relative's."""
    from chalicelib.services import records

    return _record_json(records.record_of(call.me, call.args(ForQuery).for_, clock.current()))


@route(
    bp,
    "/patient/record/grants",
    method="POST",
    roles=PATIENT,
    status=201,
    body=NewGrant,
    query=ForQuery,
    answer="Grant",
    idempotent=True,
)
def grant(call: Call) -> dict[str, object]:
    """Let a practice read the record, restricted documents included.

    Granting a practice again replaces its end date. A blocked practice stays blocked. Each
    change of the record's settings takes `for=` a minor whose guardian the registry records
    the caller as; no other relative changes them (403).
    """
    from chalicelib.services import records

    body = call.body(NewGrant)
    made = records.grant(call.me, call.args(ForQuery).for_, body.doctor_code, body.until, clock.current())
    return {
        "doctor_code": made.doctor_code,
        "name": made.name,
        "until": made.until.isoformat() if made.until else None,
    }


@route(
    bp,
    "/patient/record/grants/{doctor_code}",
    method="DELETE",
    roles=PATIENT,
    status=204,
    query=ForQuery,
    errors=(404,),
)
def withdraw_grant(call: Call) -> Reply:
    """Withdraw a practice's grant."""
    return _withdrawn(call, "grant")


def _withdrawn(call: Call, entry: Literal["grant", "block"]) -> Reply:
    from chalicelib.services import records

    records.withdraw(call.me, call.args(ForQuery).for_, entry, _code(call), clock.current())
    return Reply(None, 204)


@route(
    bp,
    "/patient/record/blocks",
    method="POST",
    roles=PATIENT,
    status=201,
    body=NewBlock,
    query=ForQuery,
    answer="Block",
    idempotent=True,
)
def block(call: Call) -> dict[str, object]:
    """Block a practice: it sees nothing of the record, care relationship, grant or
    emergency notwithstanding."""
    from chalicelib.services import records

    made = records.block(call.me, call.args(ForQuery).for_, call.body(NewBlock).doctor_code, clock.current())
    return {"doctor_code": made.doctor_code, "name": made.name}


@route(
    bp,
    "/patient/record/blocks/{doctor_code}",
    method="DELETE",
    roles=PATIENT,
    status=204,
    query=ForQuery,
    errors=(404,),
)
def unblock(call: Call) -> Reply:
    """Lift a block."""
    return _withdrawn(call, "block")


@route(bp, "/patient/record/close", method="POST", roles=PATIENT, query=ForQuery, answer="RecordSettings")
def close(call: Call) -> dict[str, object]:
    """Close the record: no professional reads it, whatever their rights; its documents stay
    and the patient still sees them."""
    from chalicelib.services import records

    return _record_json(records.set_status(call.me, call.args(ForQuery).for_, terms.CLOSED, clock.current()))


@route(bp, "/patient/record/reopen", method="POST", roles=PATIENT, query=ForQuery, answer="RecordSettings")
def reopen(call: Call) -> dict[str, object]:
    """Open the record again, with the grants and blocks it had."""
    from chalicelib.services import records

    return _record_json(records.set_status(call.me, call.args(ForQuery).for_, terms.OPEN, clock.current()))
