"""Prescriptions: the issuing transaction, every later step as one write over the version it
was computed from, the lists, and the expiry job's index.

Indexes (all newest first, by the ULID in the id):
- `by-doctor`: a practice's prescriptions; `by-doctor-patient`: one patient's at a practice;
- `by-patient`: a patient's, for their app;
- `by-expiry`: sparse, only `ready` and `in_progress` prescriptions carry `open`, ordered by
  `expires_on`: the expiry job reads only those whose last day has passed, never the table.

A step is a transaction, even of one item, so that DynamoDB's `TransactionConflict` between
pharmacies racing for one prescription is retried (`base.transact`) before its condition
decides: exactly one wins, the others are told it is held. A pharmacy's step sent with an
`Idempotency-Key` commits its key's record in that transaction, carrying the prescription as
the step wrote it (sealed): its answer, which later steps change, is rebuilt from that
(`stepped`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any, cast

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.core.cursor import Page
from chalicelib.domain import idempotency as keys
from chalicelib.domain import prescription_terms as terms
from chalicelib.domain.documents import Document
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.domain.prescriptions import Dispensed, Hold, Item, Medication, Prescription, Round
from chalicelib.store import documents, idempotency, outbox
from chalicelib.store.base import TableMeta, filtered_page, named, page_of, resume

OPEN = "open"


class ByDoctor(GlobalSecondaryIndex["PrescriptionItem"]):
    class Meta:
        index_name = "by-doctor"
        projection = AllProjection()

    doctor_code = UnicodeAttribute(hash_key=True)
    prescription_id = UnicodeAttribute(range_key=True)


class ByDoctorPatient(GlobalSecondaryIndex["PrescriptionItem"]):
    class Meta:
        index_name = "by-doctor-patient"
        projection = AllProjection()

    doctor_patient = UnicodeAttribute(hash_key=True)
    prescription_id = UnicodeAttribute(range_key=True)


class ByPatient(GlobalSecondaryIndex["PrescriptionItem"]):
    class Meta:
        index_name = "by-patient"
        projection = AllProjection()

    patient = UnicodeAttribute(hash_key=True)
    prescription_id = UnicodeAttribute(range_key=True)


class ByExpiry(GlobalSecondaryIndex["PrescriptionItem"]):
    """Sparse: only prescriptions a step may still change carry `watch`."""

    class Meta:
        index_name = "by-expiry"
        projection = AllProjection()

    watch = UnicodeAttribute(hash_key=True)
    expires_on = UnicodeAttribute(range_key=True)


class PrescriptionItem(Model):
    class Meta(TableMeta):
        table_name = named("prescriptions")

    prescription_id = UnicodeAttribute(hash_key=True)
    doctor_code = UnicodeAttribute()
    doctor_patient = UnicodeAttribute()
    practice_name = UnicodeAttribute()
    patient = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    patient_name = UnicodeAttribute()
    items = JSONAttribute()
    repeats = NumberAttribute()
    repeats_left = NumberAttribute()
    issued_at = UTCDateTimeAttribute()
    # ISO dates sort as the days they name.
    expires_on = UnicodeAttribute()
    status = UnicodeAttribute()
    qr = UnicodeAttribute()
    access_hash = UnicodeAttribute()
    document_id = UnicodeAttribute()
    catalogue_version = UnicodeAttribute()
    holder = UnicodeAttribute(null=True)
    secret_hash = UnicodeAttribute(null=True)
    accepted_at = UTCDateTimeAttribute(null=True)
    dispensed = JSONAttribute()
    rounds = JSONAttribute()
    cancel_reason = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    version = NumberAttribute()
    watch = UnicodeAttribute(null=True)
    by_doctor = ByDoctor()
    by_doctor_patient = ByDoctorPatient()
    by_patient = ByPatient()
    by_expiry = ByExpiry()


def _doctor_patient(doctor_code: str, patient: str) -> str:
    return f"{doctor_code}#{patient}"


def _medication(medication: Medication | None) -> dict[str, Any] | None:
    return None if medication is None else {"code": medication.code, "name": medication.name}


def _medication_of(raw: dict[str, Any] | None) -> Medication | None:
    return None if raw is None else Medication(raw["code"], raw["name"])


def _lines(lines: Sequence[Dispensed]) -> list[dict[str, Any]]:
    return [
        {"index": d.index, "quantity": d.quantity, "substituted_with": _medication(d.substituted_with)}
        for d in lines
    ]


def _lines_of(raw: list[dict[str, Any]]) -> tuple[Dispensed, ...]:
    return tuple(
        Dispensed(int(d["index"]), int(d["quantity"]), _medication_of(d["substituted_with"])) for d in raw
    )


def model_of(p: Prescription) -> PrescriptionItem:
    hold = p.hold
    return PrescriptionItem(
        p.prescription_id,
        doctor_code=p.doctor_code,
        doctor_patient=_doctor_patient(p.doctor_code, p.patient),
        practice_name=p.practice_name,
        patient=p.patient,
        patient_id=p.patient_id,
        patient_name=p.patient_name,
        items=[
            {
                "medication": _medication(item.medication),
                "quantity": item.quantity,
                "dosage": item.dosage,
                "substitution_allowed": item.substitution_allowed,
            }
            for item in p.items
        ],
        repeats=p.repeats,
        repeats_left=p.repeats_left,
        issued_at=p.issued_at,
        expires_on=p.expires_on.isoformat(),
        status=p.status,
        qr=p.qr,
        access_hash=p.access_hash,
        document_id=p.document_id,
        catalogue_version=p.catalogue_version,
        holder=hold.pharmacy_code if hold else None,
        secret_hash=hold.secret_hash if hold else None,
        accepted_at=hold.accepted_at if hold else None,
        dispensed=_lines(p.dispensed),
        rounds=[
            {
                "number": r.number,
                "pharmacy_code": r.pharmacy_code,
                "closed_at": r.closed_at.isoformat(),
                "dispensed": _lines(r.dispensed),
                "receipt": r.receipt,
            }
            for r in p.rounds
        ],
        cancel_reason=p.cancel_reason,
        reject_reason=p.reject_reason,
        version=p.version,
        watch=OPEN if p.status in terms.OPEN else None,
    )


def _record(item: PrescriptionItem) -> Prescription:
    hold = None
    if item.holder is not None and item.secret_hash is not None and item.accepted_at is not None:
        hold = Hold(item.holder, item.secret_hash, item.accepted_at)
    return Prescription(
        prescription_id=item.prescription_id,
        doctor_code=item.doctor_code,
        practice_name=item.practice_name,
        patient=item.patient,
        patient_id=item.patient_id,
        patient_name=item.patient_name,
        items=tuple(
            Item(
                cast("Medication", _medication_of(raw["medication"])),
                int(raw["quantity"]),
                raw["dosage"],
                bool(raw["substitution_allowed"]),
            )
            for raw in item.items
        ),
        repeats=int(item.repeats),
        repeats_left=int(item.repeats_left),
        issued_at=item.issued_at,
        expires_on=date.fromisoformat(item.expires_on),
        # Every status stored was written from a `Status`.
        status=cast("terms.Status", item.status),
        qr=item.qr,
        access_hash=item.access_hash,
        document_id=item.document_id,
        catalogue_version=item.catalogue_version,
        hold=hold,
        dispensed=_lines_of(item.dispensed),
        rounds=tuple(
            Round(
                int(r["number"]),
                r["pharmacy_code"],
                datetime.fromisoformat(r["closed_at"]),
                _lines_of(r["dispensed"]),
                r["receipt"],
            )
            for r in item.rounds
        ),
        cancel_reason=item.cancel_reason,
        reject_reason=item.reject_reason,
        version=int(item.version),
    )


def issue(
    prescription: Prescription, copy: Document | None, events: Sequence[Event], once: Once | None
) -> bool:
    """The prescription, the record of its copy in the patient's vault, its events and the
    record of its request's key, all or nothing. False when its id was taken (it never is: the
    id is random); a Conflict when a request with the same key prescribed first."""

    def write(tx: TransactWrite) -> None:
        tx.save(model_of(prescription), condition=PrescriptionItem.prescription_id.does_not_exist())
        if copy is not None:
            tx.save(documents.model_of(copy))
        for event in events:
            tx.save(outbox.model_of(event))

    return idempotency.transact(write, keys.made(once, prescription.prescription_id))


def get(prescription_id: str) -> Prescription | None:
    """Strongly consistent: a step reads the version it writes over."""
    try:
        return _record(PrescriptionItem.get(prescription_id, consistent_read=True))
    except DoesNotExist:
        return None


def advance(
    prescription: Prescription,
    events: Sequence[Event] = (),
    *,
    ready_on: date | None = None,
    once: Once | None = None,
) -> bool:
    """Write the next state of a prescription, computed from the version before it, with the
    events it causes and the record of the step's key (`once`). With `ready_on` (an accept),
    the stored prescription must also still be `ready` and valid on that day. False when
    another step came first; a Conflict when a request with the same key stepped first."""
    condition: Condition = PrescriptionItem.version == prescription.version - 1
    if ready_on is not None:
        condition &= (PrescriptionItem.status == "ready") & (
            PrescriptionItem.expires_on >= ready_on.isoformat()
        )

    def write(tx: TransactWrite) -> None:
        tx.save(model_of(prescription), condition=condition)
        for event in events:
            tx.save(outbox.model_of(event))

    def snapshot() -> str:
        return json.dumps(model_of(prescription).to_dynamodb_dict())

    return idempotency.transact(write, idempotency.sealed(once, snapshot, prescription.prescription_id))


def stepped(prescription_id: str, made: str, once: Once | None) -> Prescription:
    """The prescription as the step whose key (`once`) has the record `made` wrote it."""
    item = PrescriptionItem()
    item.from_dynamodb_dict(json.loads(idempotency.unsealed(made, once, prescription_id)))
    return _record(item)


def list_for_practice(
    doctor_code: str, patient: str | None, status: str | None, limit: int, start: dict[str, Any] | None
) -> Page[Prescription]:
    """Newest first; with `patient`, one patient's, whose matricule stays out of the cursor.
    A status filter reads within the budget of `filtered_page`."""
    index: GlobalSecondaryIndex[PrescriptionItem] = PrescriptionItem.by_doctor
    attribute, key = "doctor_code", doctor_code
    if patient is not None:
        index, attribute, key = (
            PrescriptionItem.by_doctor_patient,
            "doctor_patient",
            _doctor_patient(doctor_code, patient),
        )
    return _page(index, attribute, key, patient is not None, status, limit, start)


def list_for_patient(
    patient: str, status: str | None, limit: int, start: dict[str, Any] | None
) -> Page[Prescription]:
    """Newest first; the matricule stays out of the cursor."""
    return _page(PrescriptionItem.by_patient, "patient", patient, True, status, limit, start)


def _page(
    index: GlobalSecondaryIndex[PrescriptionItem],
    attribute: str,
    key: str,
    personal: bool,
    status: str | None,
    limit: int,
    start: dict[str, Any] | None,
) -> Page[Prescription]:
    private = (attribute,) if personal else ()
    results = index.query(
        key,
        filter_condition=(PrescriptionItem.status == status) if status else None,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=resume(start, PrescriptionItem, index, private=private, **{attribute: key}),
    )
    if status:
        return filtered_page(results, PrescriptionItem, limit, private).map(_record)
    return page_of(results, limit, private=private).map(_record)


def past_expiry(today: date) -> Iterator[Prescription]:
    """The open prescriptions whose last day was before `today`, page by page."""
    results = PrescriptionItem.by_expiry.query(
        OPEN, PrescriptionItem.expires_on < today.isoformat(), page_size=100
    )
    return (_record(item) for item in results)
