"""The patient's app: the documents in the vault."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.edge import PATIENT, Call, route
from chalicelib.api.fields import ForQuery, ListQuery, PatientId
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339

if TYPE_CHECKING:
    from chalicelib.domain.documents import Document

bp = Blueprint(__name__)


class DocumentQuery(ListQuery):
    type: Annotated[str, Field(min_length=1, max_length=40, examples=["invoice"])] | None = None
    for_: Annotated[PatientId | None, Field(alias="for")] = None


def document_json(document: Document) -> dict[str, object]:
    return {
        "id": document.document_id,
        "type": document.type,
        "title": document.title,
        "author": document.author,
        "created_at": rfc3339(document.created_at),
        "size_bytes": document.size_bytes,
        "hidden": document.hidden,
    }


@route(bp, "/patient/documents", roles=PATIENT, query=DocumentQuery, answer="DocumentPage")
def list_documents(call: Call) -> dict[str, object]:
    """Newest first. With `type=` a page reads a bounded number of documents, so it may hold
    fewer than `limit`, or none, with a `next_cursor` that resumes right after the last
    document read. A list ends when `next_cursor` is null, never at a short page."""
    from chalicelib.services import documents

    query = call.args(DocumentQuery)
    page = documents.list_documents(
        call.me, query.for_, query.type, query.limit, query.cursor, clock.current()
    )
    return {"items": [document_json(d) for d in page.items], "next_cursor": page.next_cursor}


@route(bp, "/patient/documents/{document_id}", roles=PATIENT, query=DocumentQuery, answer="Download")
def get_document(call: Call) -> dict[str, object]:
    """One document's metadata and a short-lived download URL.

    It reads the query of the list (`limit`, `cursor` and `type` are checked, and unused).
    """
    from chalicelib.services import documents

    query = call.args(DocumentQuery)
    found = documents.download(call.me, query.for_, call.params["document_id"], clock.current())
    return {
        **document_json(found.document),
        "download_url": found.url,
        "download_expires_in": found.expires_in_seconds,
    }


def _hiding(call: Call, hidden: bool) -> dict[str, object]:
    from chalicelib.services import documents

    changed = documents.set_hidden(
        call.me, call.args(ForQuery).for_, call.params["document_id"], hidden, clock.current()
    )
    return document_json(changed)


@route(
    bp,
    "/patient/documents/{document_id}/hide",
    method="POST",
    roles=PATIENT,
    query=ForQuery,
    answer="Document",
    errors=(404,),
)
def hide(call: Call) -> dict[str, object]:
    """Hide a document of the caller's record from every professional but its author.

    Hiding it again answers the same. `for=` a minor whose guardian the registry records the
    caller as; no other relative hides anything (403).
    """
    return _hiding(call, True)


@route(
    bp,
    "/patient/documents/{document_id}/unhide",
    method="POST",
    roles=PATIENT,
    query=ForQuery,
    answer="Document",
    errors=(404,),
)
def unhide(call: Call) -> dict[str, object]:
    """Show a hidden document to the practices that may read the record again."""
    return _hiding(call, False)
