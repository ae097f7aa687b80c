"""The vaccination booklet as FHIR R4 resources (`application/fhir+json`): a Bundle of
Immunization and an ImmunizationRecommendation, built and validated with `fhir.resources`'
R4B models, which are imported inside the functions (they take a fifth of a second to load,
which no cold start pays).

The patient is referred to by identifier, their `patient_id` (`PATIENT_SYSTEM`), never by
matricule; an entry's id is its DHN id with `-` for `_` (FHIR ids take no underscore), and its
DHN id is its identifier. Vaccines are coded in ATC; the targets are coded with the schedule's
own names (`TARGET_SYSTEM`); the dates of a recommendation carry LOINC's codes for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.vaccination_schedule import Recommendation
from chalicelib.domain.vaccinations import Vaccination

ATC: Final = "http://www.whocc.no/atc"
TARGET_SYSTEM: Final = "urn:dhn:vaccination-target"
PATIENT_SYSTEM: Final = "urn:dhn:patient-id"
ENTRY_SYSTEM: Final = "urn:dhn:vaccination-id"
_ORIGIN: Final = "http://terminology.hl7.org/CodeSystem/immunization-origin"
_FORECAST: Final = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
_LOINC: Final = "http://loinc.org"
# HL7's forecast statuses have no "upcoming": a dose to come is `due`, on its date criterion.
_FORECAST_CODES: Final = {"due": "due", "overdue": "overdue", "upcoming": "due", "complete": "complete"}
_DATES: Final = (
    ("earliest_on", "30981-5", "Earliest date to give"),
    ("due_on", "30980-7", "Date vaccine due"),
    ("overdue_on", "59778-1", "Date when overdue for immunization"),
)


def _target(target: str) -> dict[str, Any]:
    return {"coding": [{"system": TARGET_SYSTEM, "code": target}], "text": target}


def _patient(patient_id: str) -> dict[str, Any]:
    return {"identifier": {"system": PATIENT_SYSTEM, "value": patient_id}}


def _immunization(patient_id: str, entry: Vaccination) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Immunization",
        "id": entry.vaccination_id.replace("_", "-"),
        "identifier": [{"system": ENTRY_SYSTEM, "value": entry.vaccination_id}],
        "status": "completed",
        "vaccineCode": {
            "coding": [{"system": ATC, "code": entry.vaccine_code, "display": entry.vaccine_name}],
            "text": entry.vaccine_name,
        },
        "patient": _patient(patient_id),
        "occurrenceDateTime": entry.given_on.isoformat(),
        "recorded": rfc3339(entry.recorded_at),
        # A doctor recorded it from the vaccination itself; the patient declared it from memory
        # or from a foreign booklet.
        "primarySource": entry.verified,
        "protocolApplied": [
            {
                "targetDisease": [_target(target) for target in entry.targets],
                **(
                    {"doseNumberPositiveInt": entry.dose_number}
                    if entry.dose_number
                    else {"doseNumberString": "unknown"}
                ),
            }
        ],
    }
    if entry.lot_number:
        resource["lotNumber"] = entry.lot_number
    if entry.verified:
        resource["performer"] = [{"actor": {"display": entry.recorded_by.name}}]
    else:
        resource["reportOrigin"] = {"coding": [{"system": _ORIGIN, "code": "recall"}]}
    return resource


def immunizations(patient_id: str, entries: Sequence[Vaccination]) -> str:
    """The booklet's entries as a FHIR searchset Bundle of Immunization, in their order."""
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(entries),
            "entry": [
                {"resource": _immunization(patient_id, e), "search": {"mode": "match"}} for e in entries
            ],
        }
    )
    return str(bundle.model_dump_json(exclude_none=True))


def _recommendation(item: Recommendation) -> dict[str, Any]:
    dates = [
        {"code": {"coding": [{"system": _LOINC, "code": code, "display": display}]}, "value": day.isoformat()}
        for name, code, display in _DATES
        if isinstance(day := getattr(item, name), date)
    ]
    found: dict[str, Any] = {
        "targetDisease": _target(item.target),
        "forecastStatus": {
            "coding": [{"system": _FORECAST, "code": _FORECAST_CODES[item.status]}],
            "text": item.status,
        },
        "doseNumberPositiveInt": item.dose,
        "series": item.rule,
    }
    if dates:
        found["dateCriterion"] = dates
    return found


def recommendation(patient_id: str, items: Sequence[Recommendation], version: str, on: date) -> str:
    """The recommendations as one FHIR ImmunizationRecommendation, made on `on` by the
    schedule of `version`; `items` must hold one at least, as FHIR requires."""
    from fhir.resources.R4B.immunizationrecommendation import ImmunizationRecommendation

    resource = ImmunizationRecommendation.model_validate(
        {
            "resourceType": "ImmunizationRecommendation",
            "patient": _patient(patient_id),
            "date": on.isoformat(),
            "authority": {"display": f"Luxembourg vaccination schedule {version}"},
            "recommendation": [_recommendation(item) for item in items],
        }
    )
    return str(resource.model_dump_json(exclude_none=True))
