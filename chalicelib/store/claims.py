"""Claims, and the insurers' durable queues: every claim lives in DynamoDB, and the indexes
below are the queues. Filing, deciding and withdrawing a claim move the claim and its invoice
together (`store.claim_ledger`); the overdue sweep and the reads are here.

Indexes (all oldest first):
- `by-insurer-status`: `CNS#pending` is CNS's queue; a decision moves the claim to
  `CNS#reimbursed` or `CNS#rejected`, so a claim sits in exactly one insurer's queue until
  decided, and reading a page costs one Query whatever the backlog.
- `by-deadline`: sparse. `CNS#watch` while pending and not yet due, `CNS#overdue` once the
  overdue sweep has marked it; removed by the decision. The sweep reads only what is due.
- `by-insurer`: all of an insurer's claims; `by-patient`: all of a patient's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, cast

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.core.cursor import Page
from chalicelib.domain import claim_terms as terms
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.claims import Claim, Proof
from chalicelib.store.base import TableMeta, named, page_of, resume

PENDING = "pending"


class ProofMap(MapAttribute[str, Any]):
    method = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    paid_at = UTCDateTimeAttribute()


class ByInsurerStatus(GlobalSecondaryIndex["ClaimItem"]):
    """`<insurer>#<status>`: with `pending`, the insurer's queue."""

    class Meta:
        index_name = "by-insurer-status"
        projection = AllProjection()

    insurer_status = UnicodeAttribute(hash_key=True)
    queued = UnicodeAttribute(range_key=True)


class ByInsurer(GlobalSecondaryIndex["ClaimItem"]):
    class Meta:
        index_name = "by-insurer"
        projection = AllProjection()

    insurer = UnicodeAttribute(hash_key=True)
    queued = UnicodeAttribute(range_key=True)


class ByPatient(GlobalSecondaryIndex["ClaimItem"]):
    class Meta:
        index_name = "by-patient"
        projection = AllProjection()

    patient_matricule = UnicodeAttribute(hash_key=True)
    queued = UnicodeAttribute(range_key=True)


class ByDeadline(GlobalSecondaryIndex["ClaimItem"]):
    """Sparse: only pending claims carry `deadline`, by when they are due."""

    class Meta:
        index_name = "by-deadline"
        projection = AllProjection()

    deadline = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class ClaimItem(Model):
    class Meta(TableMeta):
        table_name = named("claims")

    claim_id = UnicodeAttribute(hash_key=True)
    invoice_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()
    insurer = UnicodeAttribute()
    invoice_number = UnicodeAttribute()
    doctor_code = UnicodeAttribute()
    patient_matricule = UnicodeAttribute()
    service_date = UnicodeAttribute()
    total_cents = NumberAttribute()
    amount_claimed_cents = NumberAttribute()
    proof = ProofMap(null=True)
    submitted_at = UTCDateTimeAttribute()
    due_at = UTCDateTimeAttribute()
    overdue_at = UTCDateTimeAttribute(null=True)
    decided_at = UTCDateTimeAttribute(null=True)
    reimbursed_cents = NumberAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    payment_reference = UnicodeAttribute(null=True)
    # Index keys.
    queued = UnicodeAttribute()
    insurer_status = UnicodeAttribute()
    deadline = UnicodeAttribute(null=True)
    by_insurer_status = ByInsurerStatus()
    by_insurer = ByInsurer()
    by_patient = ByPatient()
    by_deadline = ByDeadline()


def watching(insurer: str) -> str:
    return f"{insurer}#watch"


def overdue(insurer: str) -> str:
    return f"{insurer}#overdue"


def insurer_status(insurer: str, status: terms.Status) -> str:
    return f"{insurer}#{status}"


def model_of(claim: Claim) -> ClaimItem:
    """The item a transaction writes for a new claim, in its insurer's queue and on the
    watch list of its deadline."""
    proof = claim.proof
    return ClaimItem(
        claim.claim_id,
        invoice_id=claim.invoice_id,
        kind=claim.kind,
        channel=claim.channel,
        status=claim.status,
        insurer=claim.insurer,
        invoice_number=claim.invoice_number,
        doctor_code=claim.doctor_code,
        patient_matricule=claim.patient_matricule,
        service_date=claim.service_date.isoformat(),
        total_cents=claim.total_cents,
        amount_claimed_cents=claim.amount_claimed_cents,
        proof=None if proof is None else ProofMap(**vars(proof)),
        submitted_at=claim.submitted_at,
        due_at=claim.due_at,
        queued=f"{rfc3339(claim.submitted_at)}#{claim.claim_id}",
        insurer_status=insurer_status(claim.insurer, claim.status),
        deadline=watching(claim.insurer),
    )


def _record(item: ClaimItem) -> Claim:
    proof = item.proof
    # Kind, channel and status are only ever written from their domain types.
    return Claim(
        item.claim_id,
        invoice_id=item.invoice_id,
        kind=cast(terms.Kind, item.kind),
        channel=cast(terms.Channel, item.channel),
        status=cast(terms.Status, item.status),
        insurer=item.insurer,
        invoice_number=item.invoice_number,
        doctor_code=item.doctor_code,
        patient_matricule=item.patient_matricule,
        service_date=date.fromisoformat(item.service_date),
        total_cents=int(item.total_cents),
        amount_claimed_cents=int(item.amount_claimed_cents),
        proof=None if proof is None else Proof(proof.method, proof.reference, proof.paid_at),
        submitted_at=item.submitted_at,
        due_at=item.due_at,
        overdue_at=item.overdue_at,
        decided_at=item.decided_at,
        reimbursed_cents=None if item.reimbursed_cents is None else int(item.reimbursed_cents),
        reason=item.reason,
        payment_reference=item.payment_reference,
    )


def get(claim_id: str, consistent: bool = False) -> Claim | None:
    try:
        return _record(ClaimItem.get(claim_id, consistent_read=consistent))
    except DoesNotExist:
        return None


def mark_overdue(claim: Claim, at: datetime) -> bool:
    """Move a due claim from the watch list to the overdue list. False when it was decided or
    marked meanwhile (the index lags the table a little)."""
    try:
        ClaimItem(claim.claim_id).update(
            actions=[ClaimItem.deadline.set(overdue(claim.insurer)), ClaimItem.overdue_at.set(at)],
            condition=ClaimItem.deadline == watching(claim.insurer),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def due(insurer: str, at: datetime) -> Iterator[Claim]:
    """The insurer's pending claims due by `at` and not yet marked overdue, page by page."""
    results = ClaimItem.by_deadline.query(watching(insurer), ClaimItem.due_at <= at, page_size=100)
    return (_record(item) for item in results)


def for_insurer(
    insurer: str, status: terms.Status | None, late: bool | None, limit: int, start: dict[str, Any] | None
) -> Page[Claim]:
    """Oldest first. `late` picks pending claims past (True) or within (False) their deadline."""
    index: GlobalSecondaryIndex[ClaimItem]
    if late is not None:
        index, attribute, key = (
            ClaimItem.by_deadline,
            "deadline",
            overdue(insurer) if late else watching(insurer),
        )
    elif status is not None:
        index, attribute, key = ClaimItem.by_insurer_status, "insurer_status", insurer_status(insurer, status)
    else:
        index, attribute, key = ClaimItem.by_insurer, "insurer", insurer
    start = resume(start, ClaimItem, index, private=(), **{attribute: key})
    return page_of(index.query(key, limit=limit, last_evaluated_key=start), limit).map(_record)


def for_patient(matricule: str, limit: int, start: dict[str, Any] | None) -> Page[Claim]:
    """Newest first. The matricule is the index key; it is kept out of the cursor, which
    travels in URLs, and put back from the caller's identity."""
    private = ("patient_matricule",)
    start = resume(start, ClaimItem, ClaimItem.by_patient, private=private, patient_matricule=matricule)
    results = ClaimItem.by_patient.query(
        matricule, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    return page_of(results, limit, private=private).map(_record)
