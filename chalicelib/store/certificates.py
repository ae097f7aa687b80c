"""Certificates of incapacity for work and the employers' share codes.

A certificate's insurer reads it once its cancel window closed, and that instant
(`cancel_until`) is known at issue: the queues below sort by it, and a Query bounded by "up to
now" is the insurer's queue, with no job to move anything at the window's end. A certificate
cancelled in its window leaves the queues (their keys are removed), so it never shows.

Indexes of `certificates` (queues oldest first, the others newest first):
- `by-insurer`: `queue` = the insurer, sort key `transmit` = `<cancel_until>#<id>`;
- `by-insurer-status`: `queue_status` = `CNS#issued` or `CNS#superseded`, same sort key;
- `by-insurer-late`: `queue_late` = `CNS#late` or `CNS#on_time`, same sort key;
- `by-practice`: the doctor code, by id; `by-practice-patient`: `<doctor_code>#<matricule>`,
  by id; `by-patient`: the matricule, by id. The matricule in these keys is kept out of
  cursors, which travel in URLs.

`employer_shares` is keyed by the SHA-256 of the code: the code itself is stored only in
the record of the sharing request's idempotency key, sealed, for the 24 h a retry may need
to be answered it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from pynamodb.attributes import BooleanAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.cursor import Page
from chalicelib.domain import certificate_terms as terms
from chalicelib.domain import idempotency as keys
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.certificates import Certificate, Deadlines, EmployerShare
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.store import documents, idempotency, outbox
from chalicelib.store.base import TableMeta, filtered_page, named, page_of, resume, transact, within

# Sorts after every `#<id>` that follows an instant: "transmitted up to now" includes `now`.
_UP_TO = "#~"


class ByInsurer(GlobalSecondaryIndex["CertificateItem"]):
    class Meta:
        index_name = "by-insurer"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    transmit = UnicodeAttribute(range_key=True)


class ByInsurerStatus(GlobalSecondaryIndex["CertificateItem"]):
    class Meta:
        index_name = "by-insurer-status"
        projection = AllProjection()

    queue_status = UnicodeAttribute(hash_key=True)
    transmit = UnicodeAttribute(range_key=True)


class ByInsurerLate(GlobalSecondaryIndex["CertificateItem"]):
    class Meta:
        index_name = "by-insurer-late"
        projection = AllProjection()

    queue_late = UnicodeAttribute(hash_key=True)
    transmit = UnicodeAttribute(range_key=True)


class ByPractice(GlobalSecondaryIndex["CertificateItem"]):
    class Meta:
        index_name = "by-practice"
        projection = AllProjection()

    doctor_code = UnicodeAttribute(hash_key=True)
    certificate_id = UnicodeAttribute(range_key=True)


class ByPracticePatient(GlobalSecondaryIndex["CertificateItem"]):
    class Meta:
        index_name = "by-practice-patient"
        projection = AllProjection()

    practice_patient = UnicodeAttribute(hash_key=True)
    certificate_id = UnicodeAttribute(range_key=True)


class ByPatient(GlobalSecondaryIndex["CertificateItem"]):
    class Meta:
        index_name = "by-patient"
        projection = AllProjection()

    patient_matricule = UnicodeAttribute(hash_key=True)
    certificate_id = UnicodeAttribute(range_key=True)


class CertificateItem(Model):
    class Meta(TableMeta):
        table_name = named("certificates")

    certificate_id = UnicodeAttribute(hash_key=True)
    doctor_code = UnicodeAttribute()
    practice_name = UnicodeAttribute()
    patient_matricule = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    patient_name = UnicodeAttribute()
    insurer = UnicodeAttribute()
    kind = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    diagnosis_code = UnicodeAttribute()
    outings_allowed = BooleanAttribute()
    accident = BooleanAttribute()
    replaces = UnicodeAttribute(null=True)
    issued_at = UTCDateTimeAttribute()
    cancel_until = UTCDateTimeAttribute()
    employer_by = UnicodeAttribute()
    insurer_by = UnicodeAttribute()
    late = BooleanAttribute()
    status = UnicodeAttribute()
    document_id = UnicodeAttribute(null=True)
    qr = UnicodeAttribute()
    cancelled_at = UTCDateTimeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    superseded_by = UnicodeAttribute(null=True)
    acknowledged_at = UTCDateTimeAttribute(null=True)
    # Index keys; the queue keys are removed when the certificate is cancelled.
    queue = UnicodeAttribute(null=True)
    queue_status = UnicodeAttribute(null=True)
    queue_late = UnicodeAttribute(null=True)
    transmit = UnicodeAttribute(null=True)
    practice_patient = UnicodeAttribute()
    by_insurer = ByInsurer()
    by_insurer_status = ByInsurerStatus()
    by_insurer_late = ByInsurerLate()
    by_practice = ByPractice()
    by_practice_patient = ByPracticePatient()
    by_patient = ByPatient()


class ShareItem(Model):
    class Meta(TableMeta):
        table_name = named("employer-shares")

    code_hash = UnicodeAttribute(hash_key=True)
    certificate_id = UnicodeAttribute()
    patient_matricule = UnicodeAttribute()
    employer_name = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)
    # DynamoDB deletes a share some time after it expired; reads check `expires_at` first.
    expires = TTLAttribute()


def status_key(insurer: str, status: terms.Status) -> str:
    return f"{insurer}#{status}"


def late_key(insurer: str, late: bool) -> str:
    return f"{insurer}#{'late' if late else 'on_time'}"


def practice_patient(doctor_code: str, matricule: str) -> str:
    return f"{doctor_code}#{matricule}"


def model_of(c: Certificate) -> CertificateItem:
    return CertificateItem(
        c.certificate_id,
        doctor_code=c.doctor_code,
        practice_name=c.practice_name,
        patient_matricule=c.patient_matricule,
        patient_id=c.patient_id,
        patient_name=c.patient_name,
        insurer=c.insurer,
        kind=c.kind,
        start=c.start.isoformat(),
        end=c.end.isoformat(),
        diagnosis_code=c.diagnosis_code,
        outings_allowed=c.outings_allowed,
        accident=c.accident,
        replaces=c.replaces,
        issued_at=c.issued_at,
        cancel_until=c.cancel_until,
        employer_by=c.deadlines.employer_by.isoformat(),
        insurer_by=c.deadlines.insurer_by.isoformat(),
        late=c.late,
        status=c.status,
        document_id=c.document_id,
        qr=c.qr,
        queue=c.insurer,
        queue_status=status_key(c.insurer, c.status),
        queue_late=late_key(c.insurer, c.late),
        transmit=f"{rfc3339(c.cancel_until)}#{c.certificate_id}",
        practice_patient=practice_patient(c.doctor_code, c.patient_matricule),
    )


def _record(item: CertificateItem) -> Certificate:
    # Kind and status are only ever written from their domain types.
    return Certificate(
        item.certificate_id,
        doctor_code=item.doctor_code,
        practice_name=item.practice_name,
        patient_matricule=item.patient_matricule,
        patient_id=item.patient_id,
        patient_name=item.patient_name,
        insurer=item.insurer,
        kind=cast(terms.Kind, item.kind),
        start=date.fromisoformat(item.start),
        end=date.fromisoformat(item.end),
        diagnosis_code=item.diagnosis_code,
        outings_allowed=item.outings_allowed,
        accident=item.accident,
        replaces=item.replaces,
        issued_at=item.issued_at,
        cancel_until=item.cancel_until,
        deadlines=Deadlines(date.fromisoformat(item.employer_by), date.fromisoformat(item.insurer_by)),
        late=item.late,
        status=cast(terms.Status, item.status),
        document_id=item.document_id,
        qr=item.qr,
        cancelled_at=item.cancelled_at,
        cancel_reason=item.cancel_reason,
        superseded_by=item.superseded_by,
        acknowledged_at=item.acknowledged_at,
    )


def get(certificate_id: str, consistent: bool = False) -> Certificate | None:
    try:
        return _record(CertificateItem.get(certificate_id, consistent_read=consistent))
    except DoesNotExist:
        return None


def issue(
    certificate: Certificate, copy: Document | None, events: Sequence[Event], once: Once | None
) -> bool:
    """Write the certificate, the record of its copy in the patient's vault, its events and
    the record of its request's key; a correction also marks the certificate it replaces
    `superseded`, provided that one is still in force. False when it no longer was; a
    Conflict when a request with the same key issued first."""

    def write(tx: TransactWrite) -> None:
        tx.save(model_of(certificate), condition=CertificateItem.certificate_id.does_not_exist())
        if certificate.replaces is not None:
            replaced = CertificateItem(certificate.replaces)
            tx.update(
                replaced,
                actions=[
                    CertificateItem.status.set("superseded"),
                    CertificateItem.superseded_by.set(certificate.certificate_id),
                    CertificateItem.queue_status.set(status_key(certificate.insurer, "superseded")),
                ],
                condition=(CertificateItem.status == "issued")
                & (CertificateItem.patient_matricule == certificate.patient_matricule)
                & (CertificateItem.doctor_code == certificate.doctor_code),
            )
        if copy is not None:
            tx.save(documents.model_of(copy))
        for event in events:
            tx.save(outbox.model_of(event))

    return idempotency.transact(write, keys.made(once, certificate.certificate_id))


def cancel(certificate_id: str, at: datetime, reason: str, event: Event) -> bool:
    """Take the certificate back and out of its insurer's queues, with its event; False
    when it was no longer in force, or its window had closed, by the time of the write."""

    def write(tx: TransactWrite) -> None:
        tx.update(
            CertificateItem(certificate_id),
            actions=[
                CertificateItem.status.set("cancelled"),
                CertificateItem.cancelled_at.set(at),
                CertificateItem.cancel_reason.set(reason),
                CertificateItem.queue.remove(),
                CertificateItem.queue_status.remove(),
                CertificateItem.queue_late.remove(),
                CertificateItem.transmit.remove(),
            ],
            condition=(CertificateItem.status == "issued") & (CertificateItem.cancel_until > at),
        )
        tx.save(outbox.model_of(event))

    return transact(write)


def acknowledge(certificate_id: str, at: datetime, event: Event) -> bool:
    """Record the insurer's receipt once, with its event; False when it was recorded before."""

    def write(tx: TransactWrite) -> None:
        tx.update(
            CertificateItem(certificate_id),
            actions=[CertificateItem.acknowledged_at.set(at)],
            condition=CertificateItem.certificate_id.exists()
            & CertificateItem.acknowledged_at.does_not_exist(),
        )
        tx.save(outbox.model_of(event))

    return transact(write)


def for_insurer(
    insurer: str,
    status: terms.Status | None,
    late: bool | None,
    now: datetime,
    limit: int,
    start: dict[str, Any] | None,
) -> Page[Certificate]:
    """What the insurer has received by `now`, oldest first. Each filter alone has its index
    and reads only what it answers; both together read the status index with `late` as a
    filter, within the read budget of `filtered_page`."""
    index: GlobalSecondaryIndex[CertificateItem]
    if status is not None:
        index, attribute, key = CertificateItem.by_insurer_status, "queue_status", status_key(insurer, status)
    elif late is not None:
        index, attribute, key = CertificateItem.by_insurer_late, "queue_late", late_key(insurer, late)
    else:
        index, attribute, key = CertificateItem.by_insurer, "queue", insurer
    up_to = rfc3339(now) + _UP_TO
    filtered = status is not None and late is not None
    results = index.query(
        key,
        range_key_condition=CertificateItem.transmit <= up_to,
        filter_condition=(CertificateItem.late == late) if filtered else None,
        limit=limit,
        last_evaluated_key=within(
            resume(start, CertificateItem, index, private=(), **{attribute: key}), "transmit", ("", up_to)
        ),
    )
    if filtered:
        return filtered_page(results, CertificateItem, limit).map(_record)
    return page_of(results, limit).map(_record)


def for_practice(
    doctor_code: str, matricule: str | None, limit: int, start: dict[str, Any] | None
) -> Page[Certificate]:
    """A practice's certificates, newest first: all of them, or one patient's."""
    if matricule is None:
        return _newest_first(CertificateItem.by_practice, "doctor_code", doctor_code, (), limit, start)
    key = practice_patient(doctor_code, matricule)
    return _newest_first(
        CertificateItem.by_practice_patient, "practice_patient", key, ("practice_patient",), limit, start
    )


def for_patient(matricule: str, limit: int, start: dict[str, Any] | None) -> Page[Certificate]:
    """A patient's certificates, newest first."""
    private = ("patient_matricule",)
    return _newest_first(CertificateItem.by_patient, "patient_matricule", matricule, private, limit, start)


def _newest_first(
    index: GlobalSecondaryIndex[CertificateItem],
    attribute: str,
    key: str,
    private: tuple[str, ...],
    limit: int,
    start: dict[str, Any] | None,
) -> Page[Certificate]:
    results = index.query(
        key,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=resume(start, CertificateItem, index, private=private, **{attribute: key}),
    )
    return page_of(results, limit, private=private).map(_record)


def add_share(share: EmployerShare, code: str, once: Once | None) -> bool:
    """The share, and the record of its request's key (`once`) carrying its `code`, which
    nothing else keeps; all or nothing. False when its code was taken (it never is: the code
    is random); a Conflict when a request with the same key shared first."""

    def write(tx: TransactWrite) -> None:
        tx.save(
            ShareItem(
                share.code_hash,
                certificate_id=share.certificate_id,
                patient_matricule=share.patient_matricule,
                employer_name=share.employer_name,
                created_at=share.created_at,
                expires_at=share.expires_at,
                expires=share.expires_at,
            ),
            condition=ShareItem.code_hash.does_not_exist(),
        )

    return idempotency.transact(write, idempotency.sealed(once, lambda: code, share.certificate_id))


def shared_code(certificate_id: str, made: str, once: Once | None) -> str:
    """The code of the share a request retried with its key (`once`) made first (`made`, from
    its key's record)."""
    return idempotency.unsealed(made, once, certificate_id)


def share(code_hash: str) -> EmployerShare | None:
    """The share a code opens; read strongly consistent, as every credential is."""
    try:
        item = ShareItem.get(code_hash, consistent_read=True)
    except DoesNotExist:
        return None
    return EmployerShare(
        item.code_hash,
        item.certificate_id,
        item.patient_matricule,
        item.employer_name,
        item.created_at,
        item.expires_at,
        item.revoked_at,
    )


def revoke_share(code_hash: str, at: datetime) -> None:
    """Revoke a share once: revoking it again keeps the first instant."""
    try:
        ShareItem(code_hash).update(
            actions=[ShareItem.revoked_at.set(at)],
            condition=ShareItem.code_hash.exists() & ShareItem.revoked_at.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
