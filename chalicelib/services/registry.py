"""The patients' registry: who is insured where and who opted in to digital administration.

In production this is fed by the Agence eSanté registry; here the operator's routes stand in.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.core.clock import Clock
from chalicelib.core.errors import NotFound
from chalicelib.services.identity import issue_token
from chalicelib.store import identity as store


@dataclass(frozen=True)
class PatientRecord:
    matricule: str
    name: str
    insurer: str
    digital_admin: str
    app_active: bool


@dataclass(frozen=True)
class PatientStatus:
    """What a practice may learn before issuing an invoice: no name, no history."""

    matricule: str
    digital_admin: str
    app_active: bool
    insurer: str | None


def _record(found: store.Patient) -> PatientRecord:
    return PatientRecord(found.matricule, found.name, found.insurer, found.digital_admin, found.app_active)


def _model(patient: PatientRecord, clock: Clock) -> store.Patient:
    return store.Patient(
        patient.matricule,
        name=patient.name,
        insurer=patient.insurer,
        digital_admin=patient.digital_admin,
        app_active=patient.app_active,
        updated_at=clock.now(),
    )


def register(patient: PatientRecord, clock: Clock) -> PatientRecord:
    store.create_patient(_model(patient, clock))
    return patient


def update(patient: PatientRecord, clock: Clock) -> PatientRecord:
    """Create or replace: the registry feed sends whole records, opt-in changes included."""
    store.put_patient(_model(patient, clock))
    return patient


def find(matricule: str) -> PatientRecord | None:
    found = store.get_patient(matricule)
    return None if found is None else _record(found)


def status(matricule: str) -> PatientStatus:
    found = store.get_patient(matricule)
    if found is None:
        return PatientStatus(matricule, "unknown", False, None)
    return PatientStatus(matricule, found.digital_admin, found.app_active, found.insurer)


def patient_token(matricule: str, clock: Clock) -> str:
    if store.get_patient(matricule) is None:
        raise NotFound("no such patient")
    return issue_token(clock, role="patient", matricule=matricule)
