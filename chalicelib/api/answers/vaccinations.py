"""Answers of the vaccination booklet."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.api.answers.common import Answer, Day, DocumentId, Instant, PatientId, identifier
from chalicelib.domain.vaccine_targets import Target

VaccinationId = Annotated[str, identifier("vac", "01JD63E5F7G9H1J3K5M7N9P1Q3")]


class Vaccine(Answer):
    code: Annotated[str, Field(description="ATC.", examples=["J07CA09"])]
    name: str


class Recorder(Answer):
    """Who wrote the entry: a practice (`id` its doctor code) or the patient's side (`id` the
    `patient_id` of the patient or relative who declared it)."""

    kind: Literal["practice", "patient"]
    id: str
    name: str


class Vaccination(Answer):
    """One entry of the booklet."""

    id: VaccinationId
    patient_id: PatientId
    vaccine: Vaccine
    targets: list[Target]
    dose_number: Annotated[int | None, Field(ge=1)]
    given_on: Day
    lot_number: str | None
    verified: Annotated[bool, Field(description="Recorded by a doctor; false where the patient declared it.")]
    recorded_at: Instant
    recorded_by: Recorder
    document_id: Annotated[DocumentId | None, Field(description="The entry's sheet in the patient's vault.")]
    qr: Annotated[
        str | None,
        Field(
            description="The entry's signed token (`DHN1:`…), naming it and nothing else; null if declared."
        ),
    ]


class VaccinationList(Answer):
    """The booklet, newest `given_on` first."""

    items: list[Vaccination]


class Recommendation(Answer):
    target: Target
    dose: Annotated[
        int, Field(ge=1, description="The dose of the row's series (for a complete one, its last).")
    ]
    status: Literal["due", "overdue", "upcoming", "complete"]
    earliest_on: Annotated[Day | None, Field(description="The first day a dose counts; null when complete.")]
    due_on: Annotated[Day | None, Field(description="When it is due; null when complete.")]
    overdue_on: Annotated[Day | None, Field(description="When it is overdue; null when complete.")]
    rule: Annotated[str, Field(description="The schedule row's id.", examples=["hexavalent-infant"])]


class Recommendations(Answer):
    """What the schedule recommends today."""

    schedule_version: Annotated[str, Field(examples=["LU-2026.1"])]
    items: list[Recommendation]


class ProfessionalBooklet(Answer):
    """A patient's booklet and its recommendations, as a practice reads them."""

    patient_id: PatientId
    items: list[Vaccination]
    recommendations: Recommendations
