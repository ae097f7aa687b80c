"""Operator routes: doctors, the patients' registry stand-in, patient and insurer tokens and
their revocation."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint

from chalicelib.api.fields import Body, DoctorCode, Matricule, Text, path_matricule
from chalicelib.api.http import OPERATOR, Call, Reply, route
from chalicelib.api.sessions import issued_json
from chalicelib.core import clock
from chalicelib.core.errors import Unprocessable
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.insurers import INSURERS, Insurer
from chalicelib.domain.registry import Patient
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
    """A patient as the registry feed sends it: this route's body, and each line of the
    operator command line's bulk import."""

    matricule: Matricule

    def patient(self) -> Patient:
        return Patient(self.matricule, self.name, self.insurer, self.digital_admin, self.app_active)


class ReplacedPatient(PatientFields):
    matricule: Matricule | None = None


def patient_json(patient: Patient) -> dict[str, object]:
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
    return patient_json(registry.register(call.body(NewPatient).patient(), clock.current()))


@route(bp, "/patients/{matricule}", method="PUT", roles=OPERATOR)
def replace_patient(call: Call) -> dict[str, object]:
    number = path_matricule(call)
    body = call.body(ReplacedPatient)
    if body.matricule is not None and body.matricule != number:
        raise Unprocessable.field("matricule", "differs from the matricule in the path")
    patient = Patient(number, body.name, body.insurer, body.digital_admin, body.app_active)
    return patient_json(registry.update(patient, clock.current()))


@route(bp, "/patients/{matricule}/tokens", method="POST", roles=OPERATOR, status=201, idempotent=True)
def patient_token(call: Call) -> dict[str, str]:
    return issued_json(registry.patient_token(path_matricule(call), clock.current()))


@route(bp, "/insurers/{insurer}/tokens", method="POST", roles=OPERATOR, status=201, idempotent=True)
def insurer_token(call: Call) -> Reply:
    insurer = call.params["insurer"]
    if insurer not in INSURERS:
        raise Unprocessable.field("insurer", f"must be one of {', '.join(INSURERS)}")
    issued = identity.issue_token(clock.current(), role="insurer", insurer=insurer)
    return Reply(issued_json(issued), 201)


@route(bp, "/tokens/{token_id}", method="DELETE", roles=OPERATOR)
def revoke_token(call: Call) -> Reply:
    identity.revoke_token(call.me, call.params["token_id"])
    return Reply(None, 204)
