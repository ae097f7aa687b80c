"""The vaccination booklet: a doctor records a vaccination; the patient, or a relative who may
act for them, declares one, reads the booklet and the schedule's recommendations, in JSON or
in FHIR R4 (`Accept: application/fhir+json`), and prints it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from chalice.app import Blueprint, Response
from pydantic import AfterValidator, Field

from chalicelib.api.edge import DOCTOR, PATIENT, PRACTICE, Call, route
from chalicelib.api.edge.media import FHIR_JSON
from chalicelib.api.fields import Body, Day, Matricule, PatientId, Query, Text, rule
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.vaccine_targets import Target

if TYPE_CHECKING:
    from chalicelib.domain.vaccinations import Vaccination
    from chalicelib.services.vaccinations import Booklet, EntryRequest

bp = Blueprint(__name__)

# ATC codes of vaccines (J07) and of passive immunisations with antibodies (J06B, as the
# newborn's RSV one), to the 4th level or the 5th where known: J07CA09, J07BB, J06BD08.
ATC_PATTERN = "^J0(7[A-Z]|6B)([A-Z]([0-9]{2})?)?$"


def _distinct(targets: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(targets)) != len(targets):
        raise ValueError("names a disease twice")
    return targets


class VaccineGiven(Body):
    code: Annotated[
        str,
        Field(
            pattern=ATC_PATTERN,
            description="The ATC code of the vaccine (J07) or antibody (J06B).",
            examples=["J07CA09"],
        ),
    ]
    name: Annotated[Text, Field(examples=["Hexyon"])]


Targets = Annotated[
    tuple[Target, ...],
    Field(
        min_length=1,
        max_length=19,
        description="The diseases the vaccine protects against, each once.",
        json_schema_extra={"uniqueItems": True},
    ),
    AfterValidator(_distinct),
]
DoseNumber = Annotated[int, Field(ge=1, le=20, description="Which dose of its series, where known.")]
GivenOn = Annotated[
    Day,
    Field(
        description="The day it was given.",
        json_schema_extra=rule("not in the future (Luxembourg's day), not before the patient's birth"),
    ),
]
LotNumber = Annotated[Text, Field(max_length=40, examples=["X4C21"])]


class VaccinationRecord(Body):
    patient_matricule: Matricule
    vaccine: VaccineGiven
    targets: Targets
    dose_number: DoseNumber | None = None
    given_on: GivenOn
    lot_number: LotNumber


class BookletSearch(Body):
    matricule: Matricule


class VaccinationDeclaration(Body):
    vaccine: VaccineGiven
    targets: Targets
    dose_number: DoseNumber | None = None
    given_on: GivenOn
    lot_number: LotNumber | None = None


class BookletQuery(Query):
    for_: Annotated[PatientId | None, Field(alias="for")] = None


def _request(body: VaccinationRecord | VaccinationDeclaration) -> EntryRequest:
    from chalicelib.services.vaccinations import EntryRequest

    return EntryRequest(
        vaccine_code=body.vaccine.code,
        vaccine_name=body.vaccine.name,
        targets=body.targets,
        dose_number=body.dose_number,
        given_on=body.given_on,
        lot_number=body.lot_number,
    )


def vaccination_json(entry: Vaccination, patient_id: str) -> dict[str, Any]:
    return {
        "id": entry.vaccination_id,
        "patient_id": patient_id,
        "vaccine": {"code": entry.vaccine_code, "name": entry.vaccine_name},
        "targets": list(entry.targets),
        "dose_number": entry.dose_number,
        "given_on": entry.given_on.isoformat(),
        "lot_number": entry.lot_number,
        "verified": entry.verified,
        "recorded_at": rfc3339(entry.recorded_at),
        "recorded_by": {
            "kind": entry.recorded_by.kind,
            "id": entry.recorded_by.id,
            "name": entry.recorded_by.name,
        },
        "document_id": entry.document_id,
        "qr": entry.qr or None,
    }


def recommendations_json(booklet: Booklet) -> dict[str, Any]:
    return {
        "schedule_version": booklet.version,
        "items": [
            {
                "target": item.target,
                "dose": item.dose,
                "status": item.status,
                "earliest_on": item.earliest_on.isoformat() if item.earliest_on else None,
                "due_on": item.due_on.isoformat() if item.due_on else None,
                "overdue_on": item.overdue_on.isoformat() if item.overdue_on else None,
                "rule": item.rule,
            }
            for item in booklet.recommendations
        ],
    }


def _fhir(body: str) -> Response:
    return Response(body, headers={"Content-Type": FHIR_JSON, "Cache-Control": "private, no-store"})


def _recorded(call: Call, vaccination_id: str) -> dict[str, Any]:
    """The entry a retried request recorded first."""
    from chalicelib.services import vaccinations

    made = vaccinations.recorded(call.me, call.body(VaccinationRecord).patient_matricule, vaccination_id)
    return vaccination_json(made.entry, made.patient.patient_id)


@route(
    bp,
    "/vaccinations",
    method="POST",
    roles=DOCTOR,
    status=201,
    body=VaccinationRecord,
    answer="Vaccination",
    replay=_recorded,
)
def record_vaccination(call: Call) -> dict[str, Any]:
    """Record a vaccination the doctor gave or saw given (`verified: true`).

    The entry is a signed document: a one-page PDF with its QR code goes to the patient's
    vault (`document.received`), and the patient is told (`vaccination.recorded`). The patient
    must be in the registry.
    """
    from chalicelib.services import vaccinations

    body = call.body(VaccinationRecord)
    made = vaccinations.record(call.me, body.patient_matricule, _request(body), clock.current(), call.once)
    return vaccination_json(made.entry, made.patient.patient_id)


def _declared(call: Call, vaccination_id: str) -> dict[str, Any]:
    """The entry a retried declaration made first."""
    from chalicelib.services import vaccinations

    made = vaccinations.declared(call.me, call.args(BookletQuery).for_, vaccination_id, clock.current())
    return vaccination_json(made.entry, made.patient.patient_id)


@route(
    bp,
    "/patient/vaccinations",
    method="POST",
    roles=PATIENT,
    status=201,
    body=VaccinationDeclaration,
    query=BookletQuery,
    answer="Vaccination",
    replay=_declared,
)
def declare_vaccination(call: Call) -> dict[str, Any]:
    """Declare a vaccination received abroad (`verified: false`), for oneself or `for=` a relative.

    DHN signs nothing it has not seen: a declared entry has no QR code and no copy in the vault.
    """
    from chalicelib.services import vaccinations

    query = call.args(BookletQuery)
    body = call.body(VaccinationDeclaration)
    made = vaccinations.declare(call.me, query.for_, _request(body), clock.current(), call.once)
    return vaccination_json(made.entry, made.patient.patient_id)


@route(
    bp,
    "/patient/vaccinations",
    roles=PATIENT,
    query=BookletQuery,
    answer="VaccinationList",
    alternative=FHIR_JSON,
)
def list_vaccinations(call: Call) -> dict[str, Any] | Response:
    """The booklet, newest `given_on` first.

    With `Accept: application/fhir+json`, a FHIR R4 Bundle (searchset) of Immunization.
    """
    from chalicelib.services import vaccinations

    booklet = vaccinations.booklet(call.me, call.args(BookletQuery).for_, clock.current())
    if call.media == FHIR_JSON:
        return _fhir(vaccinations.immunizations_fhir(booklet))
    return {"items": [vaccination_json(entry, booklet.patient.patient_id) for entry in booklet.entries]}


@route(
    bp,
    "/patient/vaccinations/recommendations",
    roles=PATIENT,
    query=BookletQuery,
    answer="Recommendations",
    alternative=FHIR_JSON,
)
def vaccination_recommendations(call: Call) -> dict[str, Any] | Response:
    """What the Luxembourg schedule recommends today, most pressing first.

    One item per disease of each schedule row that applies: the next dose of the row's series
    (`upcoming` before `due_on`, `due`, `overdue` from `overdue_on`) or the series `complete`.
    Doses further than two years ahead are left out. With `Accept: application/fhir+json`, a
    FHIR R4 ImmunizationRecommendation.
    """
    from chalicelib.services import vaccinations

    booklet = vaccinations.booklet(call.me, call.args(BookletQuery).for_, clock.current())
    if call.media == FHIR_JSON:
        return _fhir(vaccinations.recommendation_fhir(booklet))
    return recommendations_json(booklet)


@route(bp, "/patient/vaccinations/booklet.pdf", roles=PATIENT, query=BookletQuery, binary="application/pdf")
def booklet_pdf(call: Call) -> Response:
    """The booklet as an A4 PDF, in French: the vaccinations, then the recommendations.

    The request must send `Accept: application/pdf` (or `*/*`): API Gateway returns binary
    bodies only then. Any other Accept header, or none, is 406.
    """
    from chalicelib.services import vaccinations

    booklet = vaccinations.booklet(call.me, call.args(BookletQuery).for_, clock.current())
    return Response(
        vaccinations.booklet_pdf(booklet),
        headers={
            "Content-Type": "application/pdf",
            "Content-Disposition": 'inline; filename="carnet-de-vaccination.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@route(
    bp,
    "/records/vaccinations/search",
    method="POST",
    roles=PRACTICE,
    body=BookletSearch,
    answer="ProfessionalBooklet",
    errors=(403, 422),
)
def search_booklet(call: Call) -> dict[str, Any]:
    """A patient's booklet and recommendations, for a practice that may read the patient's
    record (a care relationship, a grant or an emergency window; never when blocked or the
    record is closed: 403). The matricule travels in the body; journaled (`vaccination.read`).
    """
    from chalicelib.services import vaccinations

    booklet = vaccinations.for_professional(call.me, call.body(BookletSearch).matricule, clock.current())
    return {
        "patient_id": booklet.patient.patient_id,
        "items": [vaccination_json(entry, booklet.patient.patient_id) for entry in booklet.entries],
        "recommendations": recommendations_json(booklet),
    }
