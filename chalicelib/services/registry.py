"""The patients' registry: who is insured where and who opted in to digital administration.

In production this is fed by the Agence eSanté registry; here the operator's routes stand in.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.core.clock import Clock
from chalicelib.core.errors import NotFound
from chalicelib.domain.registry import Patient
from chalicelib.services.identity import IssuedToken, issue_token


@dataclass(frozen=True)
class PatientStatus:
    """What a practice may learn before issuing an invoice: no name, no history."""

    matricule: str
    digital_admin: str
    app_active: bool
    insurer: str | None


def register(patient: Patient, clock: Clock) -> Patient:
    from chalicelib.store import identity as store

    store.create_patient(patient, clock.now())
    return patient


def update(patient: Patient, clock: Clock) -> Patient:
    """Create or replace: the registry feed sends whole records, opt-in changes included."""
    from chalicelib.store import identity as store

    store.put_patient(patient, clock.now())
    return patient


def status(matricule: str) -> PatientStatus:
    from chalicelib.store import identity as store

    found = store.get_patient(matricule)
    if found is None:
        return PatientStatus(matricule, "unknown", False, None)
    return PatientStatus(matricule, found.digital_admin, found.app_active, found.insurer)


def patient_token(matricule: str, clock: Clock) -> IssuedToken:
    from chalicelib.store import identity as store

    if store.get_patient(matricule) is None:
        raise NotFound("no such patient")
    return issue_token(clock, role="patient", matricule=matricule)
