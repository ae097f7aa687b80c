"""The transactions that move a claim and its invoice together: filing a claim, recording the
insurer's decision, and withdrawing a pending claim with its invoice's cancellation. Each
writes both items, the totals of the invoice's issue day where an amount moves, and the event
that reports it, or nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain import idempotency as keys
from chalicelib.domain.claims import Claim, Decision, recorded
from chalicelib.domain.events import Event
from chalicelib.domain.idempotency import Once
from chalicelib.domain.invoice_status import Status
from chalicelib.domain.invoices import Invoice
from chalicelib.store import claims, idempotency, invoice_day_totals, outbox
from chalicelib.store import invoices as invoice_store
from chalicelib.store.base import transact
from chalicelib.store.claims import ClaimItem
from chalicelib.store.invoices import InvoiceItem


def file(claim: Claim, claimable: Status, submitted: Event, once: Once | None) -> bool:
    """Put the claim in the queue and mark its invoice claimed, together with the record of
    the request's key. False when the invoice already has a claim or is no longer
    `claimable`: of two racing submissions, one gets False."""

    def write(tx: TransactWrite) -> None:
        tx.save(claims.model_of(claim), condition=ClaimItem.claim_id.does_not_exist())
        # Filing moves no amount: the day's totals stay as they are.
        tx.update(
            InvoiceItem(claim.invoice_id),
            actions=[
                *invoice_store.status_set(claim.doctor_code, "claimed"),
                InvoiceItem.claim_id.set(claim.claim_id),
            ],
            condition=(InvoiceItem.status == claimable) & InvoiceItem.claim_id.does_not_exist(),
        )
        tx.save(outbox.model_of(submitted))

    return idempotency.transact(write, keys.made(once, claim.claim_id))


def decide(decided: Claim, invoice: Invoice, event: Event) -> bool:
    """Record the decision on the claim and its invoice (as read), the settlement in the
    totals of the invoice's issue day, and `event` (`claim.decided`), together; `decided` is
    the claim as the decision leaves it. False when the claim is no longer pending: of two
    racing deciders, exactly one records.

    What a settlement adds to the day's totals depends only on the amount settled (the
    outstanding amount is linear in it), not on the payments the invoice had when it was
    read, so a patient's payment racing the decision changes nothing here."""
    decision = recorded(decided)
    assert decided.decided_at is not None and decision is not None
    outcome: list[Action] = [
        ClaimItem.status.set(decided.status),
        ClaimItem.insurer_status.set(claims.insurer_status(decided.insurer, decided.status)),
        ClaimItem.decided_at.set(decided.decided_at),
        ClaimItem.reimbursed_cents.set(decision.reimbursed_cents),
        # Out of the sparse deadline index: a decided claim is neither watched nor overdue.
        ClaimItem.deadline.remove(),
    ]
    settlement: list[Action] = [
        *invoice_store.status_set(decided.doctor_code, decision.outcome),
        InvoiceItem.settled_cents.set(decision.reimbursed_cents),
    ]
    if decided.reason is not None:
        outcome.append(ClaimItem.reason.set(decided.reason))
    if decided.payment_reference is not None:
        outcome.append(ClaimItem.payment_reference.set(decided.payment_reference))
        settlement.append(InvoiceItem.settlement_reference.set(decided.payment_reference))

    def write(tx: TransactWrite) -> None:
        tx.update(ClaimItem(decided.claim_id), actions=outcome, condition=ClaimItem.status == claims.PENDING)
        tx.update(
            InvoiceItem(decided.invoice_id),
            actions=settlement,
            condition=InvoiceItem.claim_id == decided.claim_id,
        )
        invoice_day_totals.record_change(tx, invoice, _settled(invoice, decision))
        tx.save(outbox.model_of(event))

    return transact(write)


def _settled(invoice: Invoice, decision: Decision) -> Invoice:
    """The invoice as the decision on its claim leaves it."""
    return replace(
        invoice,
        status=decision.outcome,
        settled_cents=decision.reimbursed_cents,
        settlement_reference=decision.payment_reference or invoice.settlement_reference,
    )


def withdraw(invoice: Invoice, reason: str, at: datetime, withdrawn: Event) -> Invoice | None:
    """Cancel an invoice whose claim is still pending, taking the claim out of the queue and
    telling of it (`withdrawn`, the `claim.withdrawn` event): the invoice as cancelled, or None
    when the insurer has decided meanwhile or a payment came in (the day's outstanding total
    drops by what was outstanding when the invoice was read)."""
    claim_id = invoice.claim_id
    assert claim_id is not None
    cancelled = invoice_store.cancelled(invoice, reason, at)

    def write(tx: TransactWrite) -> None:
        tx.update(
            InvoiceItem(invoice.invoice_id),
            actions=invoice_store.cancellation(invoice.doctor_code, reason, at),
            condition=(InvoiceItem.claim_id == claim_id) & (InvoiceItem.paid_cents == invoice.paid_cents),
        )
        tx.update(
            ClaimItem(claim_id),
            actions=[
                ClaimItem.status.set("withdrawn"),
                ClaimItem.insurer_status.set(claims.insurer_status(invoice.insurer, "withdrawn")),
                ClaimItem.decided_at.set(at),
                ClaimItem.deadline.remove(),
            ],
            condition=ClaimItem.status == claims.PENDING,
        )
        invoice_day_totals.record_change(tx, invoice, cancelled)
        tx.save(outbox.model_of(withdrawn))

    if not transact(write):
        return None
    return cancelled
