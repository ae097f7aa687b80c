"""Certificates of incapacity for work: a doctor issues, cancels in the window or corrects;
the insurer polls what it received, reads and acknowledges; the patient reads and shares with
an employer, who opens the share's link without an account. A certificate is a kind of signed
document: its rules are in `domain.certificates`, the path it takes is
`services.signed_documents`.

The diagnosis goes into the insurer's view and sheet, and the issuing doctor's view; every
other view, sheet, event and title is built here without it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from chalicelib.core import config, ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from chalicelib.domain import certificate_terms as terms
from chalicelib.domain import certificates as rules
from chalicelib.domain.calendar import local_date
from chalicelib.domain.certificate_terms import Sheet
from chalicelib.domain.certificate_token import CertificateClaims
from chalicelib.domain.certificates import Certificate, EmployerShare
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.domain.journal import ObjectRef
from chalicelib.render import certificate_pdf
from chalicelib.services import journal, relatives, signed_documents
from chalicelib.services.identity import Principal, digest
from chalicelib.services.signed_documents import VaultCopy

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page

# 128 bits (the contract asks for at least 80), in base64url: 22 characters.
SHARE_CODE_BYTES: Final = 16
SHARE_CODE: Final = re.compile(r"[A-Za-z0-9_-]{22}")


@dataclass(frozen=True)
class IssueRequest:
    patient_matricule: str
    kind: terms.Kind
    start: date
    end: date
    diagnosis_code: str
    outings_allowed: bool
    accident: bool
    replaces: str | None


@dataclass(frozen=True)
class NewShare:
    code: str
    share: EmployerShare


def _window() -> timedelta:
    seconds = config.certificate_cancel_seconds()
    return rules.CANCEL_WINDOW if seconds is None else timedelta(seconds=seconds)


def issue(caller: Principal, request: IssueRequest, clock: Clock, once: Once | None) -> Certificate:
    """Check the request against the certificate's rules and issue it on the signed-document
    path: the certificate, its copy in the patient's record, a correction's `superseded`
    mark on the one it replaces, the events and the record of the request's idempotency key
    (`once`) are one transaction."""
    from chalicelib.store import identity

    doctor_code = caller.practice()
    now = clock.now()
    replaced = _replaced(request, doctor_code)
    try:
        diagnosis = rules.diagnosis_code(request.diagnosis_code)
        # A correction keeps the backdating its original had on the day it was issued.
        since = local_date(replaced.issued_at if replaced else now)
        rules.check_period(request.kind, request.start, request.end, since)
    except rules.InvalidCertificate as exc:
        raise Unprocessable.field(exc.field, str(exc)) from exc
    practice = identity.get_doctor(doctor_code)
    if practice is None:
        raise NotFound("the practice of this device is not registered")
    patient = identity.get_patient(request.patient_matricule)
    if patient is None:
        raise Unprocessable.field("patient_matricule", "is not in the registry")
    cancel_until = rules.cancel_until(now, _window())
    due = rules.deadlines(request.start)
    draft = Certificate(
        ids.new_id("cit", now),
        doctor_code=doctor_code,
        practice_name=practice.name,
        patient_matricule=patient.matricule,
        patient_id=patient.patient_id,
        patient_name=patient.name,
        insurer=patient.insurer,
        kind=request.kind,
        start=request.start,
        end=request.end,
        diagnosis_code=diagnosis,
        outings_allowed=request.outings_allowed,
        accident=request.accident,
        replaces=request.replaces,
        issued_at=now,
        cancel_until=cancel_until,
        deadlines=due,
        late=rules.late(cancel_until, due),
        document_id=ids.new_id("doc", now),
    )
    try:
        return signed_documents.issue(CERTIFICATE, draft, now, once)
    except Conflict:
        if replaced is None:
            raise
        # The replaced certificate changed meanwhile: say what it has become.
        _replaced(request, doctor_code)
        raise


def _replaced(request: IssueRequest, doctor_code: str) -> Certificate | None:
    """The certificate a correction replaces, which must still be in force (422 otherwise)."""
    if request.replaces is None:
        return None
    found = _get(request.replaces, consistent=True)
    try:
        if found is None:
            raise rules.InvalidCertificate("replaces", rules.NOT_REPLACEABLE)
        rules.check_replaceable(found, request.patient_matricule, doctor_code)
    except rules.InvalidCertificate as exc:
        raise Unprocessable.field(exc.field, str(exc)) from exc
    return found


class CertificateKind:
    """The certificate's part of the signed-document path (`signed_documents.Kind[Certificate]`)."""

    type = "certificate"

    def numbered(self, draft: Certificate) -> Iterator[Certificate]:
        # Its id is its only number: no other issuance can take it.
        yield draft

    def claims(self, certificate: Certificate) -> CertificateClaims:
        return CertificateClaims(
            certificate.certificate_id,
            certificate.insurer,
            local_date(certificate.issued_at),
            certificate.start,
            certificate.end,
        )

    def signed(self, certificate: Certificate, token: str) -> Certificate:
        return replace(certificate, qr=token)

    def layout(self, certificate: Certificate) -> bytes:
        return sheet(certificate, "assure")

    def vault_copy(self, certificate: Certificate) -> VaultCopy | None:
        if certificate.document_id is None:
            return None
        return VaultCopy(
            owner=certificate.patient_matricule,
            document_id=certificate.document_id,
            source_id=certificate.certificate_id,
            title=f"Certificat d'incapacité de travail du {certificate.start:%d/%m/%Y} au "
            f"{certificate.end:%d/%m/%Y}",
            author=certificate.practice_name,
            author_code=certificate.doctor_code,
        )

    def events(self, certificate: Certificate, at: datetime) -> list[Event]:
        return [rules.event(certificate, "certificate.issued", ids.new_id("evt", at), at)]

    def record(
        self, certificate: Certificate, copy: Document | None, events: list[Event], once: Once | None
    ) -> bool:
        from chalicelib.store import certificates as store

        return store.issue(certificate, copy, events, once)


CERTIFICATE = CertificateKind()


def sheet(certificate: Certificate, which: Sheet) -> bytes:
    """One of the three sheets: only the insurer's (`caisse`) is given the diagnosis."""
    employer = which == "employeur"
    return certificate_pdf.certificate_pdf(
        certificate_pdf.CertificateSheet(
            sheet=which,
            practice_name=certificate.practice_name,
            doctor_code=certificate.doctor_code,
            patient_name=certificate.patient_name,
            patient_matricule=None if employer else certificate.patient_matricule,
            insurer=certificate.insurer,
            kind=certificate.kind,
            start=certificate.start,
            end=certificate.end,
            outings_allowed=certificate.outings_allowed,
            accident=None if employer else certificate.accident,
            diagnosis_code=certificate.diagnosis_code if which == "caisse" else None,
            issued_on=local_date(certificate.issued_at),
            status=certificate.status,
            qr=certificate.qr,
        )
    )


def _object(certificate: Certificate) -> ObjectRef:
    return ObjectRef("certificate", certificate.certificate_id)


def _get(certificate_id: str, consistent: bool = False) -> Certificate | None:
    from chalicelib.store import certificates as store

    return store.get(certificate_id, consistent) if ids.has_prefix(certificate_id, "cit") else None


# The issuing practice.


def for_practice(caller: Principal, certificate_id: str) -> Certificate:
    """The certificate, if this practice issued it; any other is 'not found'."""
    found = _get(certificate_id)
    if found is None or found.doctor_code != caller.practice():
        raise NotFound("no such certificate")
    return found


def issued(caller: Principal, certificate_id: str) -> Certificate:
    """The certificate that a request retried with its Idempotency-Key issued the first time,
    with its copy in the record put in place where a crash after the commit left it out. Not
    journaled: it is the answer of the issuing request again, not another reading."""
    found = for_practice(caller, certificate_id)
    signed_documents.repair(CERTIFICATE, found)
    return found


def read(caller: Principal, certificate_id: str, clock: Clock) -> Certificate:
    """The certificate for its practice, journaled for its patient."""
    found = for_practice(caller, certificate_id)
    journal.record(
        caller, "certificate.read", found.patient_matricule, _object(found), clock, name=found.practice_name
    )
    return found


def list_for_practice(
    caller: Principal, patient_id: str | None, limit: int, cursor: dict[str, Any] | None, clock: Clock
) -> Page[Certificate]:
    """The practice's certificates, newest first, of one registered patient where
    `patient_id` names one (one that names nobody lists nothing); each journaled."""
    from chalicelib.core.cursor import Page
    from chalicelib.store import certificates as store
    from chalicelib.store import identity

    matricule = None
    if patient_id is not None:
        found = identity.patient_by_id(patient_id)
        if found is None:
            return Page([], None)
        matricule = found.matricule
    page = store.for_practice(caller.practice(), matricule, limit, cursor)
    read = [(c.patient_matricule, _object(c)) for c in page.items]
    name = page.items[0].practice_name if page.items else None
    journal.record_all(caller, "certificate.read", read, clock, name=name)
    return page


def cancel(caller: Principal, certificate_id: str, reason: str, clock: Clock) -> Certificate:
    """Take the certificate back within its window; again, it answers unchanged. Past the
    window, or once replaced, it is a conflict: a correction replaces it."""
    from chalicelib.store import certificates as store

    found = for_practice(caller, certificate_id)
    for _ in range(2):
        if found.status == "cancelled":
            return found
        if found.status != "issued":
            raise Conflict(f"this certificate is {found.status}")
        now = clock.now()
        try:
            cancelled = rules.cancelled(found, reason, now)
        except ValueError as exc:
            raise Conflict(str(exc)) from exc
        event = rules.event(cancelled, "certificate.cancelled", ids.new_id("evt", now), now)
        if store.cancel(certificate_id, now, reason, event):
            return cancelled
        latest = _get(certificate_id, consistent=True)
        assert latest is not None
        found = latest
    raise Conflict("the certificate changed meanwhile; read it again")


# The insurer.


def _insurer(caller: Principal) -> str:
    if caller.insurer is None:
        raise Forbidden()
    return caller.insurer


def for_insurer(caller: Principal, certificate_id: str, clock: Clock) -> Certificate:
    """A certificate this insurer received (its window closed), journaled; any other is
    'not found'."""
    found = _get(certificate_id)
    if found is None or found.insurer != _insurer(caller) or not found.transmitted(clock.now()):
        raise NotFound("no such certificate")
    journal.record(caller, "certificate.read", found.patient_matricule, _object(found), clock)
    return found


def queue(
    caller: Principal,
    status: terms.Status | None,
    late: bool | None,
    limit: int,
    cursor: dict[str, Any] | None,
    clock: Clock,
) -> Page[Certificate]:
    """What the insurer received, oldest first, each journaled for its patient."""
    from chalicelib.store import certificates as store

    if status == "cancelled":
        raise Unprocessable.field("status", "a cancelled certificate never reaches the insurer")
    page = store.for_insurer(_insurer(caller), status, late, clock.now(), limit, cursor)
    read = [(c.patient_matricule, _object(c)) for c in page.items]
    journal.record_all(caller, "certificate.read", read, clock)
    return page


def acknowledge(caller: Principal, certificate_id: str, clock: Clock) -> Certificate:
    """Record the receipt once and tell the patient (`certificate.transmitted`); again, the
    first receipt is answered."""
    from chalicelib.store import certificates as store

    found = for_insurer(caller, certificate_id, clock)
    if found.acknowledged_at is not None:
        return found
    now = clock.now()
    acknowledged = replace(found, acknowledged_at=now)
    event = rules.event(acknowledged, "certificate.transmitted", ids.new_id("evt", now), now)
    if store.acknowledge(certificate_id, now, event):
        return acknowledged
    latest = _get(certificate_id, consistent=True)
    assert latest is not None
    return latest


# The patient, or a relative acting for them.


def of_patient(caller: Principal, on_behalf_of: str | None, certificate_id: str, clock: Clock) -> Certificate:
    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of).matricule
    found = _get(certificate_id)
    if found is None or found.patient_matricule != patient:
        raise NotFound("no such certificate")
    journal.record(caller, "relative.read", patient, _object(found), clock)
    return found


def list_for_patient(
    caller: Principal, on_behalf_of: str | None, limit: int, cursor: dict[str, Any] | None, clock: Clock
) -> Page[Certificate]:
    from chalicelib.store import certificates as store

    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of).matricule
    journal.record(caller, "relative.read", patient, ObjectRef("certificate"), clock)
    return store.for_patient(patient, limit, cursor)


def share(
    caller: Principal,
    on_behalf_of: str | None,
    certificate_id: str,
    employer_name: str | None,
    clock: Clock,
    once: Once | None,
) -> NewShare:
    """A new link for an employer, valid 30 days; its code is shown this once, and kept sealed
    in the record of the request's idempotency key (`once`), which commits with the share."""
    from chalicelib.store import certificates as store

    found = of_patient(caller, on_behalf_of, certificate_id, clock)
    if found.status == "cancelled":
        raise Conflict("this certificate was cancelled")
    now = clock.now()
    code = secrets.token_urlsafe(SHARE_CODE_BYTES)
    made = EmployerShare(
        digest(code),
        found.certificate_id,
        found.patient_matricule,
        employer_name,
        now,
        now + rules.SHARE_LIFETIME,
    )
    if not store.add_share(made, code, once):
        raise Conflict("this share code was just given; retry")
    return NewShare(code, made)


def shared(
    caller: Principal,
    on_behalf_of: str | None,
    certificate_id: str,
    made: str,
    once: Once | None,
    clock: Clock,
) -> NewShare:
    """The share a request retried with its Idempotency-Key made first (`made`, from its key's
    record), while the caller may still act for the patient: that request's answer again,
    not another reading, so not journaled."""
    from chalicelib.store import certificates as store

    patient = relatives.acting_for(caller, clock, patient_id=on_behalf_of).matricule
    code = store.shared_code(certificate_id, made, once)
    found = store.share(digest(code))
    if found is None or found.patient_matricule != patient:
        raise NotFound("no such share")
    return NewShare(code, found)


def revoke(caller: Principal, on_behalf_of: str | None, certificate_id: str, code: str, clock: Clock) -> None:
    """From now on the code opens nothing; revoking it again changes nothing."""
    from chalicelib.store import certificates as store

    found = of_patient(caller, on_behalf_of, certificate_id, clock)
    existing = store.share(digest(code)) if SHARE_CODE.fullmatch(code) else None
    if existing is None or existing.certificate_id != found.certificate_id:
        raise NotFound("no such share")
    store.revoke_share(existing.code_hash, clock.now())


def employer_open(code: str, clock: Clock) -> Certificate:
    """The certificate an employer's code opens, journaled as an employer's access. Unknown,
    revoked and expired codes are all the same 'not found'."""
    from chalicelib.store import certificates as store

    opened = store.share(digest(code)) if SHARE_CODE.fullmatch(code) else None
    found = _get(opened.certificate_id) if opened and opened.opens(clock.now()) else None
    if opened is None or found is None:
        raise NotFound("no such certificate")
    journal.record_employer(found.certificate_id, opened.employer_name, found.patient_matricule, clock)
    return found
