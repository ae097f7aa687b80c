"""Answers of the pharmacy's routes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.api.answers.common import Answer, Day, PrescriptionId
from chalicelib.api.answers.prescriptions import Medication, PrescribedItem
from chalicelib.domain.prescription_terms import Status


class PrescribedFor(Answer):
    """Who the prescription is for, to check the identity of whoever collects it."""

    name: str
    birth_date: Annotated[
        str,
        Field(
            pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            description="`YYYY-MM-DD`, with `00` for a month or day the registry does not know.",
            examples=["1989-12-01"],
        ),
    ]


class DispensedItem(Answer):
    index: Annotated[int, Field(ge=0)]
    quantity: Annotated[int, Field(ge=1)]
    substituted_with: Medication | None


class HeldPrescription(Answer):
    """A prescription as the pharmacy holding it sees it."""

    id: PrescriptionId
    status: Status
    items: list[PrescribedItem]
    expires_on: Day
    repeats_left: Annotated[int, Field(ge=0, le=5)]
    patient: PrescribedFor
    dispensed: Annotated[
        list[DispensedItem], Field(description="An addition: what this dispensing handed over so far.")
    ]


class Accepted(Answer):
    prescription: HeldPrescription
    secret: Annotated[str, Field(description="Shown this once: every later step of this pharmacy shows it.")]


class Closed(Answer):
    id: PrescriptionId
    status: Annotated[Status, Field(description="`completed`, or `ready` for the next repeat.")]
    repeats_left: Annotated[int, Field(ge=0, le=5)]
    receipt: Annotated[
        str,
        Field(
            pattern="^DHN1:",
            description=(
                "A signed token (COSE_Sign1, verifiable with `/.well-known/jwks.json`) naming the "
                "prescription, this pharmacy, the dispensing (1 the first) and the day."
            ),
        ),
    ]
