"""Answers of the invoice routes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.answers.common import (
    Answer,
    Cents,
    ClaimId,
    Day,
    DoctorCode,
    DocumentId,
    Instant,
    InvoiceId,
    Matricule,
    Page,
)
from chalicelib.api.fields import PaymentMethod
from chalicelib.domain.insurers import Insurer
from chalicelib.domain.invoice_status import Status


class InvoiceLine(Answer):
    code: Annotated[str, Field(examples=["C1"])]
    label: str
    quantity: Annotated[int, Field(ge=1)]
    unit_cents: Cents
    amount_cents: Annotated[Cents, Field(description="`unit_cents` × `quantity`.")]
    reimbursable: Annotated[bool, Field(description="CP1 to CP8 (convenances personnelles) never are.")]


class Payment(Answer):
    amount_cents: Cents
    method: PaymentMethod
    paid_at: Instant


class Vault(Answer):
    stored: Annotated[
        bool, Field(description="Whether a copy went to the patient's vault: only where they opted in.")
    ]
    document_id: DocumentId | None


class InvoiceClaim(Answer):
    """The claim that settles the invoice, once there is one."""

    id: ClaimId
    settled_cents: Annotated[Cents | None, Field(description="What the insurer paid, once decided.")]
    settlement_reference: str | None


class InvoiceLinks(Answer):
    pdf: Annotated[str, Field(examples=["/v1/invoices/inv_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z/pdf"])]
    qr_svg: Annotated[str, Field(examples=["/v1/invoices/inv_01JD5Z8K3M7Q9R2T4V6W8X0Y1Z/qr.svg"])]


class Invoice(Answer):
    """A mémoire d'honoraires."""

    id: InvoiceId
    number: Annotated[
        str,
        Field(
            pattern="^[0-9]{4}-[0-9]{6}$",
            description="`YYYY-NNNNNN`: one sequence per doctor and year, without gaps or repeats.",
            examples=["2026-000001"],
        ),
    ]
    doctor_code: DoctorCode
    patient_matricule: Matricule
    insurer: Insurer
    service_date: Day
    issued_at: Instant
    status: Status
    lines: Annotated[list[InvoiceLine], Field(min_length=1)]
    total_cents: Cents
    insurer_share_cents: Cents
    patient_share_cents: Annotated[Cents, Field(description="`total_cents` − `insurer_share_cents`.")]
    paid_cents: Annotated[Cents, Field(description="What the patient paid so far.")]
    payments: Annotated[
        list[Payment], Field(description="An addition to the contract: every payment recorded, oldest first.")
    ]
    direct_payment: Annotated[bool, Field(description="PID: the insurer pays its share to the doctor.")]
    qr: Annotated[
        str,
        Field(
            pattern="^DHN1:",
            description=(
                "The signed token in the QR code (`DHN1:` + Base45): it names the invoice, the insurer, "
                "the total and the issue date, and nothing about the patient."
            ),
        ),
    ]
    vault: Vault
    cancel_reason: Annotated[
        str | None, Field(description="An addition to the contract: why it was cancelled.")
    ]
    claim: Annotated[InvoiceClaim | None, Field(description="An addition to the contract.")]
    links: InvoiceLinks


class InvoicePage(Page):
    items: list[Invoice]
