"""The patients' registry: who is insured where and who opted in to digital administration.

In production this is fed by the Agence eSanté registry; here the operator's routes stand in.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.core.clock import Clock
from chalicelib.core.errors import NotFound
from chalicelib.domain.journal import ObjectRef
from chalicelib.domain.registry import Patient
from chalicelib.services import journal
from chalicelib.services.identity import Principal, issue_token

# What an operator or a practice accesses here: the patient's registry entry as a whole.
_ENTRY = ObjectRef("patient")


@dataclass(frozen=True)
class PatientStatus:
    """What a practice may learn before issuing an invoice: no name, no history."""

    matricule: str
    digital_admin: str
    app_active: bool
    insurer: str | None


def register(caller: Principal, patient: Patient, clock: Clock) -> Patient:
    """Journaled first, as `update`: a refused creation was still an operator's action about
    that patient."""
    from chalicelib.store import identity as store

    journal.record(caller, "operator.update", patient.matricule, _ENTRY, clock)
    store.create_patient(patient, clock.now())
    return patient


def update(caller: Principal, patient: Patient, clock: Clock) -> Patient:
    """Create or replace: the registry feed sends whole records, opt-in changes included.
    Journaled first: the write has no transaction for the entry to join."""
    from chalicelib.store import identity as store

    journal.record(caller, "operator.update", patient.matricule, _ENTRY, clock)
    store.put_patient(patient, clock.now())
    return patient


def status(caller: Principal, matricule: str, clock: Clock) -> PatientStatus:
    """A registered patient's lookup is journaled; a matricule the registry does not know
    has no patient to tell."""
    from chalicelib.store import identity as store

    found = store.get_patient(matricule)
    if found is None:
        return PatientStatus(matricule, "unknown", False, None)
    journal.record(caller, "status.lookup", matricule, _ENTRY, clock)
    return PatientStatus(matricule, found.digital_admin, found.app_active, found.insurer)


def patient_token(caller: Principal, matricule: str, clock: Clock) -> str:
    from chalicelib.store import identity as store

    if store.get_patient(matricule) is None:
        raise NotFound("no such patient")
    journal.record(caller, "operator.token", matricule, ObjectRef("token"), clock)
    return issue_token(clock, role="patient", matricule=matricule)
