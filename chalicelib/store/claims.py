"""Claims, and the insurers' durable queues: every claim lives in DynamoDB, and the indexes
below are the queues. Filing, deciding and withdrawing a claim each move the claim, its
invoice and the event that reports it in one transaction.

Indexes (all oldest first):
- `by-insurer-status`: `CNS#pending` is CNS's queue; a decision moves the claim to
  `CNS#reimbursed` or `CNS#rejected`, so a claim sits in exactly one insurer's queue until
  decided, and reading a page costs one Query whatever the backlog.
- `by-deadline`: sparse. `CNS#watch` while pending and not yet due, `CNS#overdue` once the
  overdue sweep has marked it; removed by the decision. The sweep reads only what is due.
- `by-insurer`: all of an insurer's claims; `by-patient`: all of a patient's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator
from pynamodb.transactions import TransactWrite

from chalicelib.domain import claims as rules
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.events import Event
from chalicelib.store import outbox
from chalicelib.store.base import Page, TableMeta, condition_failed, connection, named, page_of, resume
from chalicelib.store.invoices import Invoice

PENDING = "pending"


class ProofMap(MapAttribute[str, Any]):
    method = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    paid_at = UTCDateTimeAttribute()


class ByInsurerStatus(GlobalSecondaryIndex["Claim"]):
    """`<insurer>#<status>`: with `pending`, the insurer's queue."""

    class Meta:
        index_name = "by-insurer-status"
        projection = AllProjection()

    insurer_status = UnicodeAttribute(hash_key=True)
    queued = UnicodeAttribute(range_key=True)


class ByInsurer(GlobalSecondaryIndex["Claim"]):
    class Meta:
        index_name = "by-insurer"
        projection = AllProjection()

    insurer = UnicodeAttribute(hash_key=True)
    queued = UnicodeAttribute(range_key=True)


class ByPatient(GlobalSecondaryIndex["Claim"]):
    class Meta:
        index_name = "by-patient"
        projection = AllProjection()

    patient_matricule = UnicodeAttribute(hash_key=True)
    queued = UnicodeAttribute(range_key=True)


class ByDeadline(GlobalSecondaryIndex["Claim"]):
    """Sparse: only pending claims carry `deadline`, by when they are due."""

    class Meta:
        index_name = "by-deadline"
        projection = AllProjection()

    deadline = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class Claim(Model):
    class Meta(TableMeta):
        table_name = named("claims")

    claim_id = UnicodeAttribute(hash_key=True)
    invoice_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()
    insurer = UnicodeAttribute()
    # What the insurer needs to decide, copied from the invoice so a queue page is one read.
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


def proof(method: str, reference: str | None, paid_at: datetime) -> ProofMap:
    return ProofMap(method=method, reference=reference, paid_at=paid_at)


def watching(insurer: str) -> str:
    return f"{insurer}#watch"


def overdue(insurer: str) -> str:
    return f"{insurer}#overdue"


def open_claim(
    claim_id: str,
    invoice: Invoice,
    kind: rules.Kind,
    channel: rules.Channel,
    proof: ProofMap | None,
    at: datetime,
) -> Claim:
    """A new pending claim on `invoice` for the insurer's share, in its insurer's queue."""
    return Claim(
        claim_id,
        invoice_id=invoice.invoice_id,
        kind=kind,
        channel=channel,
        status=PENDING,
        insurer=invoice.insurer,
        invoice_number=invoice.number,
        doctor_code=invoice.doctor_code,
        patient_matricule=invoice.patient_matricule,
        service_date=invoice.service_date,
        total_cents=int(invoice.total_cents),
        amount_claimed_cents=int(invoice.insurer_share_cents),
        proof=proof,
        submitted_at=at,
        due_at=rules.due_at(at),
        queued=f"{rfc3339(at)}#{claim_id}",
        insurer_status=f"{invoice.insurer}#{PENDING}",
        deadline=watching(invoice.insurer),
    )


def event(claim: Claim, type: str, event_id: str, at: datetime) -> Event:
    """`claim.submitted` or `claim.decided`: for the patient, and for the practice too where
    the insurer pays the doctor."""
    data: dict[str, Any] = {
        "claim_id": claim.claim_id,
        "invoice_id": claim.invoice_id,
        "invoice_number": claim.invoice_number,
        "insurer": claim.insurer,
        "kind": claim.kind,
        "status": claim.status,
        "amount_claimed_cents": int(claim.amount_claimed_cents),
        "due_at": rfc3339(claim.due_at),
    }
    if claim.decided_at is not None:
        data["reimbursed_cents"] = int(claim.reimbursed_cents or 0)
        data["decided_at"] = rfc3339(claim.decided_at)
    return Event(
        event_id,
        type,
        at,
        data,
        patient=claim.patient_matricule,
        doctor_code=claim.doctor_code if claim.kind == "direct_payment" else None,
    )


def get(claim_id: str, consistent: bool = False) -> Claim | None:
    try:
        return Claim.get(claim_id, consistent_read=consistent)
    except DoesNotExist:
        return None


def file(claim: Claim, claimable: str, submitted: Event) -> bool:
    """Put the claim in the queue and mark its invoice claimed, together. False when the
    invoice already has a claim or is no longer `claimable`: of two racing submissions, one
    gets False."""
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.save(claim, condition=Claim.claim_id.does_not_exist())
            tx.update(
                Invoice(claim.invoice_id),
                actions=[Invoice.status.set("claimed"), Invoice.claim_id.set(claim.claim_id)],
                condition=(Invoice.status == claimable) & Invoice.claim_id.does_not_exist(),
            )
            tx.save(outbox.model_of(submitted))
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def decide(claim: Claim, decision: rules.Decision, at: datetime, event_id: str) -> bool:
    """Record the decision on the claim and its invoice, and `claim.decided`, together. False
    when the claim is no longer pending: of two racing deciders, exactly one records."""
    outcome: list[Action] = [
        Claim.status.set(decision.outcome),
        Claim.insurer_status.set(f"{claim.insurer}#{decision.outcome}"),
        Claim.decided_at.set(at),
        Claim.reimbursed_cents.set(decision.reimbursed_cents),
        # Out of the sparse deadline index: a decided claim is neither watched nor overdue.
        Claim.deadline.remove(),
    ]
    settlement: list[Action] = [
        Invoice.status.set(decision.outcome),
        Invoice.settled_cents.set(decision.reimbursed_cents),
    ]
    if decision.reason is not None:
        outcome.append(Claim.reason.set(decision.reason))
    if decision.payment_reference is not None:
        outcome.append(Claim.payment_reference.set(decision.payment_reference))
        settlement.append(Invoice.settlement_reference.set(decision.payment_reference))
    decided = _as_decided(claim, decision, at)
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(Claim(claim.claim_id), actions=outcome, condition=Claim.status == PENDING)
            tx.update(
                Invoice(claim.invoice_id), actions=settlement, condition=Invoice.claim_id == claim.claim_id
            )
            tx.save(outbox.model_of(event(decided, "claim.decided", event_id, at)))
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def _as_decided(claim: Claim, decision: rules.Decision, at: datetime) -> Claim:
    """`claim` as the decision leaves it (the caller's copy is updated in place)."""
    claim.status = decision.outcome
    claim.insurer_status = f"{claim.insurer}#{decision.outcome}"
    claim.decided_at = at
    claim.reimbursed_cents = decision.reimbursed_cents
    claim.reason = decision.reason
    claim.payment_reference = decision.payment_reference
    claim.deadline = None
    return claim


def withdraw(invoice: Invoice, reason: str, at: datetime) -> bool:
    """Cancel an invoice whose claim is still pending, taking the claim out of the queue.
    False when the insurer has decided meanwhile."""
    claim_id = invoice.claim_id
    assert claim_id is not None
    try:
        with TransactWrite(connection=connection()) as tx:
            tx.update(
                Invoice(invoice.invoice_id),
                actions=[
                    Invoice.status.set("cancelled"),
                    Invoice.cancel_reason.set(reason),
                    Invoice.cancelled_at.set(at),
                ],
                condition=Invoice.claim_id == claim_id,
            )
            tx.update(
                Claim(claim_id),
                actions=[
                    Claim.status.set("withdrawn"),
                    Claim.insurer_status.set(f"{invoice.insurer}#withdrawn"),
                    Claim.decided_at.set(at),
                    Claim.deadline.remove(),
                ],
                condition=Claim.status == PENDING,
            )
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    invoice.status = "cancelled"
    invoice.cancel_reason = reason
    invoice.cancelled_at = at
    return True


def mark_overdue(claim: Claim, at: datetime) -> bool:
    """Move a due claim from the watch list to the overdue list. False when it was decided or
    marked meanwhile (the index lags the table a little)."""
    try:
        claim.update(
            actions=[Claim.deadline.set(overdue(claim.insurer)), Claim.overdue_at.set(at)],
            condition=Claim.deadline == watching(claim.insurer),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def due(insurer: str, at: datetime) -> ResultIterator[Claim]:
    """The insurer's pending claims due by `at` and not yet marked overdue, page by page."""
    return Claim.by_deadline.query(watching(insurer), Claim.due_at <= at, page_size=100)


def for_insurer(
    insurer: str, status: str | None, late: bool | None, limit: int, start: dict[str, Any] | None
) -> Page[Claim]:
    """Oldest first. `late` picks pending claims past (True) or within (False) their deadline."""
    index: GlobalSecondaryIndex[Claim]
    if late is not None:
        index, attribute, key = Claim.by_deadline, "deadline", overdue(insurer) if late else watching(insurer)
    elif status is not None:
        index, attribute, key = Claim.by_insurer_status, "insurer_status", f"{insurer}#{status}"
    else:
        index, attribute, key = Claim.by_insurer, "insurer", insurer
    start = resume(start, Claim, index, private=(), **{attribute: key})
    return page_of(index.query(key, limit=limit, last_evaluated_key=start), limit)


def for_patient(matricule: str, limit: int, start: dict[str, Any] | None) -> Page[Claim]:
    """Newest first. The matricule is the index key; it is kept out of the cursor, which
    travels in URLs, and put back from the caller's identity."""
    private = ("patient_matricule",)
    start = resume(start, Claim, Claim.by_patient, private=private, patient_matricule=matricule)
    results = Claim.by_patient.query(
        matricule, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    return page_of(results, limit, private=private)
