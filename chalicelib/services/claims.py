"""Reimbursement claims: a patient files one from the app, an insurer files one from a printed
invoice, the insurer works through its queue and decides, and the overdue sweep marks what was
not decided in time. Direct-payment claims are filed with their invoice (`invoices.issue`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from chalicelib.core.observability import CLAIMS_DECIDED, CLAIMS_OVERDUE, CLAIMS_SUBMITTED, metric
from chalicelib.core.time_budget import TimeBudget
from chalicelib.domain import claim_terms as terms
from chalicelib.domain import claims as rules
from chalicelib.domain.calendar import local_date
from chalicelib.domain.claims import Claim, Proof
from chalicelib.domain.idempotency import Once
from chalicelib.domain.insurers import INSURERS
from chalicelib.domain.invoices import Invoice
from chalicelib.domain.journal import ObjectRef
from chalicelib.services import invoices, journal
from chalicelib.services.identity import Principal

if TYPE_CHECKING:
    from chalicelib.core.cursor import Page


def submit(caller: Principal, invoice_id: str, proof: Proof, clock: Clock, once: Once | None) -> Claim:
    """The patient asks their insurer to reimburse an invoice they paid; `once` is the
    request's idempotency key, recorded with the claim."""
    from chalicelib.store import invoices as invoice_store

    found = invoice_store.get(invoice_id) if ids.has_prefix(invoice_id, "inv") else None
    if found is None or found.patient_matricule != caller.matricule:
        raise NotFound("no such invoice")
    return _file(found, "app", proof, clock, once, field="invoice_id")


def file_paper(caller: Principal, qr: str, proof: Proof, clock: Clock, once: Once | None) -> Claim:
    """The insurer files the claim of a printed invoice that came by post, from its QR code.
    Reading the invoice through its code is journaled as a scan, before anything is filed."""
    return _file(invoices.scan(caller, qr, clock), "paper", proof, clock, once, field="qr")


def filed(caller: Principal, claim_id: str) -> Claim:
    """The claim that a request retried with its Idempotency-Key filed the first time, for
    the patient or the insurer who filed it. Not journaled: it is the answer of the filing
    request again, not another reading."""
    from chalicelib.store import claims as store

    found = store.get(claim_id, consistent=True)
    if found is None or not (
        found.insurer == caller.insurer
        if caller.role == "insurer"
        else found.patient_matricule == caller.matricule
    ):
        raise NotFound("no such claim")
    return found


def _file(
    invoice: Invoice, channel: terms.Channel, proof: Proof, clock: Clock, once: Once | None, field: str
) -> Claim:
    from chalicelib.store import claim_ledger
    from chalicelib.store import invoices as invoice_store

    now = clock.now()
    _check_claimable(invoice, field)
    try:
        rules.check_paid_at(proof.paid_at, local_date(proof.paid_at), invoice.service_date, now)
    except ValueError as exc:
        raise Unprocessable.field("proof_of_payment.paid_at", str(exc)) from exc
    claim = rules.open_claim(ids.new_id("clm", now), invoice, "reimbursement", channel, proof, now)
    submitted = rules.event(claim, "claim.submitted", ids.new_id("evt", now), now)
    if claim_ledger.file(claim, "paid", submitted, once):
        metric(CLAIMS_SUBMITTED)
        return claim
    # Refused: the invoice changed since it was read. Say what it has become.
    latest = invoice_store.get(invoice.invoice_id, consistent=True)
    assert latest is not None
    _check_claimable(latest, field)
    raise Conflict("the invoice changed meanwhile; read it again and retry")


def _check_claimable(invoice: Invoice, field: str) -> None:
    if invoice.status == "cancelled":
        raise Unprocessable.field(field, "the invoice is cancelled")
    if invoice.claim_id is not None:
        raise Conflict("this invoice already has a claim")
    if invoice.status != "paid":
        raise Unprocessable.field(field, "the invoice is not paid yet")


def _insurer(caller: Principal) -> str:
    if caller.insurer is None:
        raise Forbidden()
    return caller.insurer


def for_insurer(caller: Principal, claim_id: str) -> Claim:
    """The claim, if it is in this insurer's care; any other is 'not found'."""
    from chalicelib.store import claims as store

    found = store.get(claim_id) if ids.has_prefix(claim_id, "clm") else None
    if found is None or found.insurer != _insurer(caller):
        raise NotFound("no such claim")
    return found


def decide(caller: Principal, claim_id: str, request: rules.DecisionRequest, clock: Clock) -> Claim:
    """Record the insurer's decision once. The same decision again answers with the claim as it
    is; another decision, or one on a withdrawn claim, is a conflict."""
    from chalicelib.store import claim_ledger
    from chalicelib.store import claims as store
    from chalicelib.store import invoices as invoice_store

    claim = for_insurer(caller, claim_id)
    try:
        decision = rules.settle(request, claim.amount_claimed_cents)
    except rules.InvalidDecision as exc:
        raise Unprocessable.field(exc.field, str(exc)) from exc
    if claim.status == "pending":
        now = clock.now()
        decided = rules.decided(claim, decision, now)
        # The settlement moves the totals of the invoice's issue day.
        invoice = invoice_store.get(claim.invoice_id)
        assert invoice is not None
        event = rules.event(decided, "claim.decided", ids.new_id("evt", now), now)
        if claim_ledger.decide(decided, invoice, event):
            metric(CLAIMS_DECIDED)
            return decided
        # Another decider got there first: its decision is the one that counts.
        latest = store.get(claim_id, consistent=True)
        assert latest is not None
        claim = latest
    if claim.status == "withdrawn":
        raise Conflict("the practice cancelled this invoice; its claim was withdrawn")
    if rules.recorded(claim) != decision:
        raise Conflict("this claim was already decided otherwise")
    return claim


def queue(
    caller: Principal,
    status: terms.Status | None,
    overdue: bool | None,
    limit: int,
    cursor: dict[str, Any] | None,
    clock: Clock,
) -> Page[Claim]:
    """The insurer's own claims, oldest first, each journaled for its patient. `overdue`
    concerns pending claims only."""
    from chalicelib.store import claims as store

    if overdue is not None and status not in (None, "pending"):
        raise Unprocessable.field("overdue", "applies to pending claims only")
    page = store.for_insurer(_insurer(caller), status, overdue, limit, cursor)
    read = [(claim.patient_matricule, ObjectRef("claim", claim.claim_id)) for claim in page.items]
    journal.record_all(caller, "claim.read", read, clock)
    return page


def for_patient(caller: Principal, limit: int, cursor: dict[str, Any] | None) -> Page[Claim]:
    """The patient's claims, newest first."""
    from chalicelib.store import claims as store

    if caller.matricule is None:
        raise Forbidden()
    return store.for_patient(caller.matricule, limit, cursor)


def sweep_overdue(clock: Clock, budget: TimeBudget) -> int:
    """Mark every pending claim past its deadline as overdue, while the budget lasts; how many
    were marked. Reads only the due part of each insurer's watch list, never the whole table,
    page by page as it goes; a marked claim leaves the watch list, so a run stopped by its
    budget leaves the rest to the next one, and no claim is marked twice."""
    from chalicelib.store import claims as store

    now = clock.now()
    marked = 0
    for claim in (claim for insurer in INSURERS for claim in store.due(insurer, now)):
        if not budget.allows_more():
            break
        marked += store.mark_overdue(claim, now)
    if marked:
        metric(CLAIMS_OVERDUE, marked)
    return marked
