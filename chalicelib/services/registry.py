"""The patients' registry: who is insured where, who opted in to digital administration, and
who holds parental authority over a minor.

In production this is fed by the Agence eSanté registry; here the operator's routes stand in.
A registered patient gets a `patient_id`, by which URLs name them from then on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.core import ids
from chalicelib.core.clock import Clock
from chalicelib.core.errors import Conflict, NotFound, Unprocessable
from chalicelib.domain import registry as rules
from chalicelib.domain.journal import ObjectRef
from chalicelib.domain.registry import DigitalAdmin, Patient
from chalicelib.services import journal
from chalicelib.services.identity import IssuedToken, Principal, issue_token

# What an operator or a practice accesses here: the patient's registry entry as a whole.
_ENTRY = ObjectRef("patient")


@dataclass(frozen=True)
class Feed:
    """One patient's record as the registry feed sends it, besides the matricule."""

    name: str
    insurer: str
    digital_admin: DigitalAdmin
    app_active: bool
    guardians: tuple[str, ...]


@dataclass(frozen=True)
class PatientStatus:
    """What a practice may learn before issuing an invoice: no name, no history."""

    patient_id: str | None
    matricule: str
    digital_admin: str
    app_active: bool
    insurer: str | None


def _guardians(matricule: str, guardians: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return rules.check_guardians(matricule, guardians)
    except ValueError as exc:
        raise Unprocessable.field("guardians", str(exc)) from exc


def register(caller: Principal, matricule: str, feed: Feed, clock: Clock) -> Patient:
    """Journaled first, as every registry change: a refused creation was still an operator's
    action about that patient, and the write has no transaction for the entry to join."""
    journal.record(caller, "operator.update", matricule, _ENTRY, clock)
    return _create(matricule, feed, clock)


def find(patient_id: str) -> Patient:
    """The registered patient `patient_id` names, or 404."""
    from chalicelib.store import identity as store

    found = store.patient_by_id(patient_id) if ids.has_prefix(patient_id, "pat") else None
    if found is None:
        raise NotFound("no such patient")
    return found


def update(caller: Principal, patient_id: str, matricule: str | None, feed: Feed, clock: Clock) -> Patient:
    """Replace the record: the registry feed sends whole records, opt-in changes and
    guardians included. A `matricule` sent along must be the patient's own."""
    found = find(patient_id)
    if matricule is not None and matricule != found.matricule:
        raise Unprocessable.field("matricule", "differs from the registered patient's")
    journal.record(caller, "operator.update", found.matricule, _ENTRY, clock)
    return _replace(found, feed, clock)


def register_or_replace(caller: Principal, matricule: str, feed: Feed, clock: Clock) -> tuple[Patient, bool]:
    """The bulk feed's line: register the patient, or replace the record of one already
    registered under this matricule. The record, and whether it is new."""
    from chalicelib.store import identity as store

    journal.record(caller, "operator.update", matricule, _ENTRY, clock)
    try:
        return _create(matricule, feed, clock), True
    except Conflict:
        found = store.get_patient(matricule)
        if found is None:  # registered and gone again between the two calls: a real conflict
            raise
        return _replace(found, feed, clock), False


def _create(matricule: str, feed: Feed, clock: Clock) -> Patient:
    from chalicelib.store import identity as store

    now = clock.now()
    patient = Patient(
        ids.new_id("pat", now),
        matricule,
        feed.name,
        feed.insurer,
        feed.digital_admin,
        feed.app_active,
        _guardians(matricule, feed.guardians),
    )
    store.create_patient(patient, now)
    return patient


def _replace(found: Patient, feed: Feed, clock: Clock) -> Patient:
    from chalicelib.store import identity as store

    patient = replace(
        found,
        name=feed.name,
        insurer=feed.insurer,
        digital_admin=feed.digital_admin,
        app_active=feed.app_active,
        guardians=_guardians(found.matricule, feed.guardians),
    )
    store.replace_patient(patient, clock.now())
    return patient


def status(caller: Principal, matricule: str, clock: Clock) -> PatientStatus:
    """A registered patient's lookup is journaled; a matricule the registry does not know
    has no patient to tell."""
    from chalicelib.store import identity as store

    found = store.get_patient(matricule)
    if found is None:
        return PatientStatus(None, matricule, "unknown", False, None)
    journal.record(caller, "status.lookup", matricule, _ENTRY, clock)
    return PatientStatus(found.patient_id, matricule, found.digital_admin, found.app_active, found.insurer)


def patient_token(caller: Principal, patient_id: str, clock: Clock) -> IssuedToken:
    matricule = find(patient_id).matricule
    journal.record(caller, "operator.token", matricule, ObjectRef("token"), clock)
    return issue_token(clock, role="patient", matricule=matricule)
