"""The shared care record (DSP): practices add documents to a patient's record and read what
the access matrix (`domain/record_access.py`) lets them, in an emergency too; the patient (or
a minor's guardian) grants, withdraws and blocks access and closes the record. Every
professional read is journaled before it answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from chalicelib.domain import record_access as rules
from chalicelib.domain import record_terms as terms
from chalicelib.domain.calendar import local_date
from chalicelib.domain.documents import PDF_MAGIC, Confidentiality, Document, UploadedType
from chalicelib.domain.events import Event
from chalicelib.domain.journal import ObjectRef
from chalicelib.domain.record_access import Block, Grant, Record, Standing
from chalicelib.services import journal, relatives
from chalicelib.services.documents import Download
from chalicelib.services.identity import Principal

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page

# One answer for a patient the practice has no right on, registered or not.
_NO_RIGHT = "this practice has no access to this patient's record"


@dataclass(frozen=True)
class Upload:
    """An announced document and where to PUT its bytes."""

    document: Document
    url: str
    headers: dict[str, str]
    expires_at: datetime


def standing(caller: Principal, patient: str, now: datetime) -> Standing:
    """Where the caller's practice stands toward `patient`'s record at `now`."""
    from chalicelib.store import appointments, invoices
    from chalicelib.store import record_access as store

    practice = caller.practice()
    closed, grant, blocked, window = store.standing_of(patient, practice)
    since = now - rules.CARE_PERIOD
    care = invoices.invoiced_since(practice, patient, since) or appointments.seen_between(
        practice, patient, since, now
    )
    return Standing(
        doctor=caller.role == "doctor",
        care=care,
        granted=rules.grant_works(grant, local_date(now)),
        blocked=blocked,
        emergency=rules.window_open(window, now),
        closed=closed,
    )


@dataclass(frozen=True)
class Sight:
    """What a practice sees of one type of a patient's documents, for a kind that shows its
    own view of them (the vaccination booklet): the ids of the records the visible copies
    are of, and whether it sees them only through an emergency window."""

    sources: frozenset[str]
    emergency: bool


def sight(caller: Principal, patient: str, type: str, now: datetime) -> Sight:
    """The caller's sight of `patient`'s documents of `type`, under the record's rules: 403
    without any right (no care relationship, grant or emergency window; blocked; a closed
    record). A page at a time, as a search reads them."""
    from chalicelib.core import cursor
    from chalicelib.store import documents

    found = standing(caller, patient, now)
    if not rules.may_search(found):
        raise Forbidden(_NO_RIGHT)
    practice = caller.practice()
    sources: set[str] = set()
    start: dict[str, Any] | None = None
    while True:
        page = documents.search(
            patient, lambda d: rules.visible(found, rules.sheet_of(d, practice)), type, None, 100, start
        )
        sources.update(d.source_id for d in page.items if d.source_id)
        start = cursor.decode(page.next_cursor)
        if start is None:
            return Sight(frozenset(sources), rules.through_emergency(found, rules.Sheet()))


def _practice_name(code: str) -> str:
    from chalicelib.store import identity

    found = identity.get_doctor(code)
    if found is None:
        raise NotFound("the practice of this device is not registered")
    return found.name


def announce(
    caller: Principal,
    matricule: str,
    type: UploadedType,
    title: str,
    confidentiality: Confidentiality,
    size_bytes: int,
    sha256: str,
    clock: Clock,
) -> Upload:
    """A new document in `matricule`'s record, pending its upload through a presigned PUT
    that S3 refuses for another length, type or checksum. A practice the patient blocked, or
    a closed record, takes none (403)."""
    from chalicelib.store import identity, uploads, vault

    now = clock.now()
    if identity.get_patient(matricule) is None:
        raise Unprocessable.field("patient_matricule", "is not a patient in the registry")
    found = standing(caller, matricule, now)
    if found.blocked or found.closed:
        raise Forbidden("this patient's record takes no documents from this practice")
    practice = caller.practice()
    name = _practice_name(practice)
    document_id = ids.new_id("doc", now)
    document = Document(
        owner=matricule,
        document_id=document_id,
        type=type,
        title=title,
        author=name,
        created_at=now,
        size_bytes=size_bytes,
        object_key=vault.pending_key(document_id),
        content_type="application/pdf",
        source_id=None,
        author_code=practice,
        confidentiality=confidentiality,
        status="pending_upload",
        sha256=sha256,
    )
    journal.record(caller, "document.upload", matricule, ObjectRef("document", document_id), clock, name=name)
    uploads.save(document)
    url, headers = vault.upload_url(document.object_key, document.content_type, size_bytes, sha256)
    return Upload(document, url, headers, now + timedelta(seconds=vault.URL_LIFETIME_SECONDS))


def _refuse(key: str, field: str, message: str) -> Unprocessable:
    """The stored object does not match what was announced: it goes, and the practice may
    upload again while its URL lasts."""
    from chalicelib.store import vault

    vault.delete(key)
    return Unprocessable.field(field, message)


def complete(caller: Principal, document_id: str, clock: Clock) -> Document:
    """Check the uploaded object against what was announced (size, SHA-256, PDF) and make the
    document available, telling the patient (`document.received`). Completing it again
    answers the same; another practice's upload is 404."""
    import hashlib

    from chalicelib.store import documents, uploads, vault

    practice = caller.practice()
    pending = uploads.get(document_id) if ids.has_prefix(document_id, "doc") else None
    if pending is None or pending.author_code != practice:
        done = (
            documents.by_id(document_id) if pending is None and ids.has_prefix(document_id, "doc") else None
        )
        if done is not None and done.author_code == practice:
            _put_in_place(done)
            return done
        raise NotFound("no such document")
    size = vault.size_of(pending.object_key)
    if size is None:
        raise Conflict("nothing was uploaded for this document yet: PUT it to its upload URL first")
    if size != pending.size_bytes:
        raise _refuse(
            pending.object_key, "size_bytes", f"the upload has {size} bytes, not {pending.size_bytes}"
        )
    body = vault.read(pending.object_key)
    if hashlib.sha256(body).hexdigest() != pending.sha256:
        raise _refuse(pending.object_key, "sha256", "the upload does not have this SHA-256")
    if not body.startswith(PDF_MAGIC):
        raise _refuse(pending.object_key, "content_type", "the upload is not a PDF")
    now = clock.now()
    document = replace(pending, object_key=vault.object_key(document_id), status="available")
    event = Event(
        ids.new_id("evt", now),
        "document.received",
        now,
        {"document_id": document_id, "type": document.type},
        patient=document.owner,
    )
    if not uploads.complete(document, event):
        done = documents.by_id(document_id)
        if done is None:
            raise NotFound("no such document")
        document = done
    _put_in_place(document)
    return document


def _put_in_place(document: Document) -> None:
    """Copy a completed upload from `pending/` to its document's key, once its record has
    committed: a completion that never commits leaves nothing under a prefix that lasts (the
    pending one expires), and a retry after a crash between the two finds the record and
    copies what is still missing."""
    from chalicelib.store import vault

    pending = vault.pending_key(document.document_id)
    if vault.exists(pending):
        vault.promote(pending, document.object_key)
        vault.delete(pending)


def search(
    caller: Principal,
    matricule: str,
    type: str | None,
    first: date | None,
    last: date | None,
    emergency_reason: str | None,
    limit: int,
    cursor: dict[str, Any] | None,
    clock: Clock,
) -> Page[Document]:
    """The documents of `matricule`'s record the caller's practice sees, newest first. With
    an emergency reason (doctors only), the practice reads the record's non-hidden,
    non-restricted documents for 24 hours, and the patient is told at once. No right at
    all is 403."""
    from chalicelib.domain.slots import day_bounds
    from chalicelib.store import documents, identity
    from chalicelib.store import record_access as store

    # Document ids carry instants from 1970 on, as the journal's do: the same bounds hold.
    for name, day in (("from", first), ("to", last)):
        if day is not None and not journal.EARLIEST <= day <= journal.LATEST:
            raise Unprocessable.field(name, f"must be from {journal.EARLIEST} to {journal.LATEST}")
    if first and last and last < first:
        raise Unprocessable.field("to", "must not be before from")
    if emergency_reason is not None and caller.role != "doctor":
        raise Forbidden("only a doctor opens a record in an emergency")
    now = clock.now()
    if identity.get_patient(matricule) is None:
        raise Forbidden(_NO_RIGHT)
    found = standing(caller, matricule, now)
    if emergency_reason is not None:
        found = replace(found, emergency=True)
    if not rules.may_search(found):
        raise Forbidden(_NO_RIGHT)
    emergency = emergency_reason is not None or rules.through_emergency(found, rules.Sheet())
    journal.record(caller, "record.search", matricule, ObjectRef("record"), clock, emergency=emergency)
    practice = caller.practice()
    if emergency_reason is not None:
        # Opened once the access is journaled: a window never opens unseen by the patient.
        store.open_window(
            matricule, rules.Emergency(practice, now, now + rules.EMERGENCY_WINDOW, emergency_reason)
        )
    span = None
    if first or last:
        since, before = day_bounds(first or journal.EARLIEST, last or journal.LATEST)
        span = ids.id_range("doc", since, before)
    return documents.search(
        matricule,
        lambda document: rules.visible(found, rules.sheet_of(document, practice)),
        type,
        span,
        limit,
        cursor,
    )


def read(caller: Principal, document_id: str, clock: Clock) -> Download:
    """One document the caller's practice sees, and a short-lived URL to fetch it; any other
    is 404. The read is journaled, as an emergency where only an emergency window opens it."""
    from chalicelib.store import documents, vault

    found = documents.by_id(document_id) if ids.has_prefix(document_id, "doc") else None
    if found is None:
        raise NotFound("no such document")
    now = clock.now()
    where = standing(caller, found.owner, now)
    sheet = rules.sheet_of(found, caller.practice())
    if not rules.visible(where, sheet):
        raise NotFound("no such document")
    accessed = ObjectRef("document", found.document_id)
    journal.record(
        caller, "document.read", found.owner, accessed, clock, emergency=rules.through_emergency(where, sheet)
    )
    url = vault.download_url(found.object_key, f"{found.document_id}.pdf")
    return Download(found, url, vault.URL_LIFETIME_SECONDS)


# The patient's side: their settings of the record, which a minor's guardians change for them
# (`relatives.managing`), journaled for the minor before the change.


def record_of(caller: Principal, on_behalf_of: str | None, clock: Clock) -> Record:
    """The record's status, grants and blocks, of the caller or of a relative they act for
    (journaled for the relative)."""
    from chalicelib.store import record_access as store

    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of).matricule
    journal.record(caller, "relative.read", patient, ObjectRef("record"), clock)
    return store.record_of(patient)


def _registered_practice(doctor_code: str) -> str:
    from chalicelib.store import identity

    found = identity.get_doctor(doctor_code)
    if found is None:
        raise Unprocessable.field("doctor_code", "is not a registered practice")
    return found.name


def grant(
    caller: Principal, on_behalf_of: str | None, doctor_code: str, until: date | None, clock: Clock
) -> Grant:
    """Let a practice read the record (restricted documents too) until the end of `until`,
    or until withdrawn; granting again replaces the end."""
    from chalicelib.store import record_access as store

    patient = relatives.managing(caller, clock, on_behalf_of)
    now = clock.now()
    if until is not None and until < local_date(now):
        raise Unprocessable.field("until", "must not be in the past")
    name = _registered_practice(doctor_code)
    current = store.record_of(patient)
    if len(current.grants) >= rules.MAX_GRANTS and all(g.doctor_code != doctor_code for g in current.grants):
        raise Unprocessable.field("doctor_code", f"a record keeps at most {rules.MAX_GRANTS} grants")
    journal.record(caller, "record.update", patient, ObjectRef("record"), clock)
    made = Grant(doctor_code, name, until)
    store.save_grant(patient, made, now)
    return made


def block(caller: Principal, on_behalf_of: str | None, doctor_code: str, clock: Clock) -> Block:
    """The practice sees nothing of the record any more, whatever care or grant it has."""
    from chalicelib.store import record_access as store

    patient = relatives.managing(caller, clock, on_behalf_of)
    name = _registered_practice(doctor_code)
    current = store.record_of(patient)
    if len(current.blocks) >= rules.MAX_BLOCKS and all(b.doctor_code != doctor_code for b in current.blocks):
        raise Unprocessable.field("doctor_code", f"a record keeps at most {rules.MAX_BLOCKS} blocks")
    journal.record(caller, "record.update", patient, ObjectRef("record"), clock)
    made = Block(doctor_code, name)
    store.save_block(patient, made, clock.now())
    return made


def withdraw(
    caller: Principal,
    on_behalf_of: str | None,
    entry: Literal["grant", "block"],
    doctor_code: str,
    clock: Clock,
) -> None:
    """End a grant or a block; 404 where there is none, which journals no change."""
    from chalicelib.store import record_access as store

    patient = relatives.managing(caller, clock, on_behalf_of)
    record = store.record_of(patient)
    held = record.grants if entry == "grant" else record.blocks
    if all(e.doctor_code != doctor_code for e in held):
        raise NotFound(f"no such {entry}")
    journal.record(caller, "record.update", patient, ObjectRef("record"), clock)
    if not store.remove(patient, entry, doctor_code):
        raise NotFound(f"no such {entry}")


def set_status(
    caller: Principal, on_behalf_of: str | None, status: terms.RecordStatus, clock: Clock
) -> Record:
    """Close the record to every professional, or open it again; its documents stay."""
    from chalicelib.store import record_access as store

    patient = relatives.managing(caller, clock, on_behalf_of)
    journal.record(caller, "record.update", patient, ObjectRef("record"), clock)
    store.set_status(patient, status, clock.now())
    return store.record_of(patient)
