"""Prescriptions: a doctor prescribes, the patient (or a relative) shows the QR code, one
pharmacy at a time accepts, dispenses and closes it, or hands it back; the doctor cancels one
nobody holds, and a daily job marks the ones past their last day expired.

A prescription is a kind of signed document: its rules are in `domain.prescriptions`, its
token in `domain.prescription_token`, the path it takes is `services.signed_documents`. Every
step of a pharmacy is checked against the state machine on the prescription as read, then
written over the version it read (`store.prescriptions.advance`): of two concurrent steps one
wins and the other is 409. Each access of a pharmacy (accept, dispense) is journaled for the
patient before the step is written, as the journal requires of a change.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, DhnError, Forbidden, NotFound, Unprocessable
from chalicelib.domain import medications, prescription_token
from chalicelib.domain import prescriptions as rules
from chalicelib.domain.calendar import local_date
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.domain.journal import Action, ObjectRef
from chalicelib.domain.prescription_terms import Status
from chalicelib.domain.prescriptions import Dispensed, Item, Prescription, StepRefused
from chalicelib.domain.signed_token import InvalidToken
from chalicelib.render import pdf as pdf_render
from chalicelib.services import identity, journal, relatives, signed_documents
from chalicelib.services.identity import Principal
from chalicelib.services.signed_documents import VaultCopy

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page
    from chalicelib.core.time_budget import TimeBudget

_FORGED = "is not a valid DHN prescription code"
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class PrescribeRequest:
    patient_matricule: str
    items: tuple[Item, ...]
    repeats: int
    valid_days: int


@dataclass(frozen=True)
class Accepted:
    """The prescription now held by the pharmacy, and its secret: shown this once."""

    prescription: Prescription
    secret: str


def _access_hash(access_code: int) -> str:
    return hashlib.sha256(access_code.to_bytes(16, "big")).hexdigest()


def prescribe(caller: Principal, request: PrescribeRequest, clock: Clock, once: Once | None) -> Prescription:
    """Check the items against the catalogue, and issue the prescription on the signed-
    document path: its QR code, its PDF copy in the patient's record,
    `prescription.issued` and the record of the request's idempotency key (`once`), with the
    prescription itself, in one transaction."""
    from chalicelib.store import identity as registry

    doctor_code = caller.practice()
    catalogue = medications.catalogue()
    try:
        rules.check_items(request.items, request.repeats, catalogue)
    except rules.InvalidItem as exc:
        raise Unprocessable.field(exc.field, exc.message) from exc
    practice = registry.get_doctor(doctor_code)
    if practice is None:
        raise NotFound("the practice of this device is not registered")
    patient = registry.get_patient(request.patient_matricule)
    if patient is None:
        raise Unprocessable.field("patient_matricule", "is not in the registry")
    now = clock.now()
    access_code = secrets.randbits(prescription_token.ACCESS_CODE_BITS)
    draft = Prescription(
        prescription_id=ids.new_id("rx", now),
        doctor_code=doctor_code,
        practice_name=practice.name,
        patient=patient.matricule,
        patient_id=patient.patient_id,
        patient_name=patient.name,
        items=request.items,
        repeats=request.repeats,
        repeats_left=request.repeats,
        issued_at=now,
        expires_on=rules.expiry(now, request.valid_days),
        status="ready",
        qr="",
        access_hash=_access_hash(access_code),
        document_id=ids.new_id("doc", now),
        catalogue_version=catalogue.version,
    )
    return signed_documents.issue(PrescriptionKind(access_code), draft, now, once)


def prescribed(caller: Principal, prescription_id: str) -> Prescription:
    """The prescription that a request retried with its Idempotency-Key made the first time,
    with its copy in the record put in place where a crash after the commit left it out. Not
    journaled: it is the answer of the prescribing request again, not another reading."""
    found = for_practice(caller, prescription_id)
    signed_documents.repair(PrescriptionKind(), found)
    return found


class PrescriptionKind:
    """The prescription's part of the signed-document path (`signed_documents.Kind`), for one
    issuance: it alone knows the access code, which is stored only as a hash. Without one it
    lays out and files a prescription signed already, and signs nothing."""

    type = "prescription"

    def __init__(self, access_code: int | None = None) -> None:
        self._access_code = access_code

    def numbered(self, draft: Prescription) -> Iterator[Prescription]:
        # The id is random: there is no number to take, and no other to try.
        yield draft

    def claims(self, prescription: Prescription) -> prescription_token.PrescriptionClaims:
        if self._access_code is None:
            raise TypeError("a prescription is signed only as it is issued, with its access code")
        return prescription_token.PrescriptionClaims(prescription.prescription_id, self._access_code)

    def signed(self, prescription: Prescription, token: str) -> Prescription:
        return replace(prescription, qr=token)

    def layout(self, prescription: Prescription) -> bytes:
        return render_pdf(prescription)

    def vault_copy(self, prescription: Prescription) -> VaultCopy:
        return VaultCopy(
            owner=prescription.patient,
            document_id=prescription.document_id,
            source_id=prescription.prescription_id,
            title=f"Ordonnance du {local_date(prescription.issued_at).strftime('%d/%m/%Y')}",
            author=prescription.practice_name,
            author_code=prescription.doctor_code,
        )

    def events(self, prescription: Prescription, at: datetime) -> list[Event]:
        return [_event("prescription.issued", prescription, at, document_id=prescription.document_id)]

    def record(
        self, prescription: Prescription, copy: Document | None, events: list[Event], once: Once | None
    ) -> bool:
        from chalicelib.store import prescriptions as store

        return store.issue(prescription, copy, events, once)


def _event(kind: str, prescription: Prescription, at: datetime, **extra: Any) -> Event:
    """An event for the patient: it names the prescription, never the patient or a medication."""
    data = {
        "prescription_id": prescription.prescription_id,
        "status": prescription.status,
        "repeats_left": prescription.repeats_left,
        "expires_on": prescription.expires_on.isoformat(),
        **extra,
    }
    return Event(ids.new_id("evt", at), kind, at, data, patient=prescription.patient)


def render_pdf(prescription: Prescription) -> bytes:
    """The A4 prescription; the same prescription gives the same bytes as its copy in the record."""
    return pdf_render.prescription_pdf(
        pdf_render.PrescriptionDocument(
            practice=pdf_render.Practice(prescription.practice_name, prescription.doctor_code),
            patient=pdf_render.Patient(prescription.patient, prescription.patient_name),
            reference=prescription.prescription_id,
            issued_on=local_date(prescription.issued_at),
            expires_on=prescription.expires_on,
            repeats=prescription.repeats,
            items=prescription.items,
            qr=prescription.qr,
        )
    )


# The practice's side.


def _find(prescription_id: str) -> Prescription | None:
    from chalicelib.store import prescriptions as store

    return store.get(prescription_id) if ids.has_prefix(prescription_id, "rx") else None


def for_practice(caller: Principal, prescription_id: str) -> Prescription:
    """The prescription, if this practice prescribed it; any other is 'not found'."""
    found = _find(prescription_id)
    if found is None or found.doctor_code != caller.practice():
        raise NotFound("no such prescription")
    return found


def read(caller: Principal, prescription_id: str, clock: Clock) -> Prescription:
    """The prescription for its practice, journaled for its patient as a document read."""
    found = for_practice(caller, prescription_id)
    journal.record(
        caller,
        "document.read",
        found.patient,
        ObjectRef("prescription", found.prescription_id),
        clock,
        name=found.practice_name,
    )
    return found


def list_for_practice(
    caller: Principal,
    patient_id: str | None,
    status: Status | None,
    limit: int,
    cursor: dict[str, Any] | None,
    clock: Clock,
) -> Page[Prescription]:
    """The practice's prescriptions, of one registered patient where `patient_id` names one: a
    `patient_id` that names nobody lists nothing. Each one listed is journaled for its
    patient, as a single read is."""
    from chalicelib.core.cursor import Page
    from chalicelib.store import identity as registry
    from chalicelib.store import prescriptions as store

    patient = None
    if patient_id is not None:
        found = registry.patient_by_id(patient_id) if ids.has_prefix(patient_id, "pat") else None
        if found is None:
            return Page([], None)
        patient = found.matricule
    page = store.list_for_practice(caller.practice(), patient, status, limit, cursor)
    read = [(p.patient, ObjectRef("prescription", p.prescription_id)) for p in page.items]
    name = page.items[0].practice_name if page.items else None
    journal.record_all(caller, "document.read", read, clock, name=name)
    return page


def cancel(caller: Principal, prescription_id: str, reason: str, clock: Clock) -> Prescription:
    """The prescribing doctor withdraws a prescription no pharmacy holds; the patient is told."""
    from chalicelib.store import prescriptions as store

    found = for_practice(caller, prescription_id)
    cancelled = _step(rules.cancel, found, reason)
    if not store.advance(cancelled, [_event("prescription.cancelled", cancelled, clock.now())]):
        raise Conflict("a pharmacy accepted this prescription meanwhile")
    return cancelled


# The patient's side.


def list_for_patient(
    caller: Principal,
    on_behalf_of: str | None,
    status: Status | None,
    limit: int,
    cursor: dict[str, Any] | None,
    clock: Clock,
) -> Page[Prescription]:
    from chalicelib.store import prescriptions as store

    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of).matricule
    journal.record(caller, "relative.read", patient, ObjectRef("prescription"), clock)
    return store.list_for_patient(patient, status, limit, cursor)


def for_patient(
    caller: Principal, on_behalf_of: str | None, prescription_id: str, clock: Clock
) -> Prescription:
    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of).matricule
    found = _find(prescription_id)
    if found is None or found.patient != patient:
        raise NotFound("no such prescription")
    journal.record(caller, "relative.read", patient, ObjectRef("prescription", found.prescription_id), clock)
    return found


# The pharmacy's side.


def _step(step: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """A step of the state machine, its refusal as the contract answers it."""
    try:
        return step(*args, **kwargs)
    except StepRefused as refused:
        raise _answer(refused) from refused
    except rules.InvalidItem as exc:
        raise Unprocessable.field(exc.field, exc.message) from exc


def _answer(refused: StepRefused) -> DhnError:
    match refused.refusal:
        case "conflict":
            return Conflict(refused.message)
        case "expired":
            return Unprocessable.field("qr", refused.message)
        case "forbidden":
            return Forbidden(refused.message)


def accept(caller: Principal, qr: str, clock: Clock) -> Accepted:
    """The prescription a QR code names, held by the caller's pharmacy from now on, with the
    secret every later step must show. Only one of concurrent accepts wins."""
    from chalicelib.store import prescriptions as store

    pharmacy_code = caller.pharmacy()
    try:
        claims = signed_documents.opened(qr, prescription_token.decode_prescription)
    except InvalidToken as exc:
        raise Unprocessable.field("qr", _FORGED) from exc
    found = store.get(claims.prescription_id)
    # A genuine token whose access code the prescription does not have came from a faulty
    # signer: it opens nothing.
    if found is None or not hmac.compare_digest(found.access_hash, _access_hash(claims.access_code)):
        raise Unprocessable.field("qr", _FORGED)
    secret = ids.random_secret()
    now = clock.now()
    held = _step(rules.accept, found, pharmacy_code, identity.digest(secret), now)
    _journal(caller, "prescription.accept", found, clock)
    # A new hold needs the prescription still ready and valid; the holder's accepting again
    # needs only that nothing changed since it was read (its version).
    if not store.advance(held, ready_on=local_date(now) if found.status == "ready" else None):
        raise Conflict("another pharmacy accepted this prescription first, or its doctor cancelled it")
    return Accepted(held, secret)


def _journal(caller: Principal, action: Action, prescription: Prescription, clock: Clock) -> None:
    journal.record(
        caller, action, prescription.patient, ObjectRef("prescription", prescription.prescription_id), clock
    )


def _held(prescription_id: str) -> Prescription:
    found = _find(prescription_id)
    if found is None:
        raise NotFound("no such prescription")
    return found


def dispense(
    caller: Principal,
    prescription_id: str,
    secret: str,
    lines: tuple[Dispensed, ...],
    clock: Clock,
    once: Once | None,
) -> Prescription:
    """Packs handed over by the holding pharmacy, within what was prescribed, written with the
    record of the step's idempotency key (`once`)."""
    from chalicelib.store import prescriptions as store

    found = _held(prescription_id)
    given = _step(rules.dispense, found, caller.pharmacy(), identity.digest(secret), lines)
    _journal(caller, "prescription.dispense", found, clock)
    if not store.advance(given, once=once):
        raise Conflict("another step on this prescription came first; retry")
    return given


def stepped(prescription_id: str, made: str, once: Once | None) -> Prescription:
    """The prescription as a pharmacy's step, retried with its Idempotency-Key, left it the
    first time (`made`, from its key's record): that step's answer again, not another
    reading, so not journaled. A key's record is its caller's own (its id digests the caller
    and the key): it names a step of the caller's pharmacy."""
    from chalicelib.store import prescriptions as store

    return store.stepped(prescription_id, made, once)


def close(
    caller: Principal, prescription_id: str, secret: str, clock: Clock, once: Once | None
) -> Prescription:
    """End the dispensing with a signed receipt: completed, or ready for the next repeat.
    The patient is told (`prescription.dispensed`); the step's key (`once`) is recorded with
    it."""
    from chalicelib.store import prescriptions as store

    found = _held(prescription_id)
    pharmacy_code, secret_hash = caller.pharmacy(), identity.digest(secret)
    _step(rules.check_holder, found, pharmacy_code, secret_hash)
    now = clock.now()
    receipt = signed_documents.sign(
        prescription_token.ReceiptClaims(
            found.prescription_id,
            pharmacy_code,
            rules.next_round(found),
            local_date(now),
            int(now.timestamp()),
        )
    )
    closed = _step(rules.close, found, pharmacy_code, secret_hash, receipt, now)
    done = closed.rounds[-1]
    event = _event("prescription.dispensed", closed, now, round=done.number, pharmacy_code=pharmacy_code)
    if not store.advance(closed, [event], once=once):
        raise Conflict("another step on this prescription came first; retry")
    return closed


def reject(
    caller: Principal, prescription_id: str, secret: str, reason: str, once: Once | None
) -> Prescription:
    """Hand the prescription back, saying why: ready for any pharmacy, the secret void; the
    step's key (`once`) is recorded with it."""
    from chalicelib.store import prescriptions as store

    found = _held(prescription_id)
    returned = _step(rules.reject, found, caller.pharmacy(), identity.digest(secret), reason)
    if not store.advance(returned, once=once):
        raise Conflict("another step on this prescription came first; retry")
    return returned


def expire_due(clock: Clock, budget: TimeBudget) -> int:
    """Mark `expired` every ready prescription past its last day, while the budget lasts; how
    many were marked. Reads only the open prescriptions past their day, from the expiry
    index; a marked one leaves it, so the next run carries on and none is marked twice."""
    from chalicelib.store import prescriptions as store

    today = local_date(clock.now())
    marked = 0
    for prescription in store.past_expiry(today):
        if not budget.allows_more():
            break
        expired = rules.expire(prescription, today)
        if expired is not None and store.advance(expired):
            marked += 1
    return marked
