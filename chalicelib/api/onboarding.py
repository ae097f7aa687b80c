"""Operator routes: doctors, the patients' registry stand-in, patient and insurer tokens."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint

from chalicelib.api.edge import OPERATOR, Call, Reply, route
from chalicelib.api.fields import Body, DoctorCode, Matricule, Text, path_matricule
from chalicelib.core import clock
from chalicelib.core.errors import Unprocessable
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.insurers import INSURERS, Insurer
from chalicelib.services import identity, registry

bp = Blueprint(__name__)


class NewDoctor(Body):
    doctor_code: DoctorCode
    name: Text
    specialty: Text | None = None
    iban: Text | None = None


class PatientFields(Body):
    name: Text
    insurer: Insurer
    digital_admin: Literal["opted_in", "opted_out"]
    app_active: bool


class NewPatient(PatientFields):
    matricule: Matricule


class ReplacedPatient(PatientFields):
    matricule: Matricule | None = None


def patient_json(patient: registry.PatientRecord) -> dict[str, object]:
    return {
        "matricule": patient.matricule,
        "name": patient.name,
        "insurer": patient.insurer,
        "digital_admin": patient.digital_admin,
        "app_active": patient.app_active,
    }


@route(bp, "/doctors", method="POST", roles=OPERATOR, status=201, idempotent=True)
def create_doctor(call: Call) -> dict[str, object]:
    body = call.body(NewDoctor)
    code, record = identity.onboard_doctor(
        body.doctor_code, body.name, body.specialty, body.iban, clock.current()
    )
    return {
        "doctor_code": body.doctor_code,
        "enrolment_code": code,
        "enrolment_expires_at": rfc3339(record.expires_at),
    }


@route(bp, "/patients", method="POST", roles=OPERATOR, status=201, idempotent=True)
def create_patient(call: Call) -> dict[str, object]:
    body = call.body(NewPatient)
    record = registry.PatientRecord(
        body.matricule, body.name, body.insurer, body.digital_admin, body.app_active
    )
    return patient_json(registry.register(record, clock.current()))


@route(bp, "/patients/{matricule}", method="PUT", roles=OPERATOR)
def replace_patient(call: Call) -> dict[str, object]:
    number = path_matricule(call)
    body = call.body(ReplacedPatient)
    if body.matricule is not None and body.matricule != number:
        raise Unprocessable.field("matricule", "differs from the matricule in the path")
    record = registry.PatientRecord(number, body.name, body.insurer, body.digital_admin, body.app_active)
    return patient_json(registry.update(record, clock.current()))


@route(bp, "/patients/{matricule}/tokens", method="POST", roles=OPERATOR, status=201, idempotent=True)
def patient_token(call: Call) -> dict[str, str]:
    return {"token": registry.patient_token(path_matricule(call), clock.current())}


@route(bp, "/insurers/{insurer}/tokens", method="POST", roles=OPERATOR, status=201, idempotent=True)
def insurer_token(call: Call) -> Reply:
    insurer = call.params["insurer"]
    if insurer not in INSURERS:
        raise Unprocessable.field("insurer", f"must be one of {', '.join(INSURERS)}")
    token = identity.issue_token(clock.current(), role="insurer", insurer=insurer)
    return Reply({"token": token}, 201)
