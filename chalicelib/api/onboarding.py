"""Operator routes: doctors, pharmacies, the patients' registry stand-in, patient and insurer
tokens and their revocation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.edge import OPERATOR, Call, Reply, route
from chalicelib.api.fields import Body, DoctorCode, Matricule, PharmacyCode, Text, rule
from chalicelib.api.sessions import issued_json
from chalicelib.core import clock
from chalicelib.core.errors import Unprocessable
from chalicelib.domain.calendar import rfc3339
from chalicelib.domain.insurers import INSURERS, Insurer

if TYPE_CHECKING:
    from chalicelib.domain.registry import Patient
    from chalicelib.services import registry

bp = Blueprint(__name__)


class NewDoctor(Body):
    doctor_code: DoctorCode
    name: Annotated[Text, Field(examples=["Dr Anne Weber"])]
    specialty: Annotated[Text | None, Field(examples=["Médecine générale"])] = None
    iban: Annotated[Text | None, Field(description="Where the insurers pay the practice.")] = None


class NewPharmacy(Body):
    pharmacy_code: PharmacyCode
    name: Annotated[Text, Field(examples=["Pharmacie du Globe"])]


class PatientFields(Body):
    name: Annotated[Text, Field(examples=["Marie Schmit"])]
    insurer: Insurer
    digital_admin: Annotated[
        Literal["opted_in", "opted_out"],
        Field(description="Whether the patient receives invoices and documents in the vault."),
    ]
    app_active: bool
    guardians: Annotated[
        tuple[Matricule, ...],
        Field(max_length=10, json_schema_extra=rule("never the patient's own matricule")),
    ] = ()

    def feed(self) -> registry.Feed:
        from chalicelib.services import registry

        return registry.Feed(self.name, self.insurer, self.digital_admin, self.app_active, self.guardians)


class NewPatient(PatientFields):
    """A patient as the registry feed sends it: this route's body, and each line of the
    operator command line's bulk import."""

    matricule: Matricule


class ReplacedPatient(PatientFields):
    matricule: Annotated[
        Matricule | None,
        Field(description="May be left out.", json_schema_extra=rule("the path's matricule")),
    ] = None


def patient_json(patient: Patient) -> dict[str, object]:
    return {
        "patient_id": patient.patient_id,
        "matricule": patient.matricule,
        "name": patient.name,
        "insurer": patient.insurer,
        "digital_admin": patient.digital_admin,
        "app_active": patient.app_active,
        "guardians": list(patient.guardians),
    }


@route(
    bp,
    "/doctors",
    method="POST",
    roles=OPERATOR,
    status=201,
    body=NewDoctor,
    answer="OnboardedDoctor",
    idempotent=True,
    errors=(409,),
)
def create_doctor(call: Call) -> dict[str, object]:
    """Register a doctor and get the code that enrols its first PC.

    A doctor already registered is 409.
    """
    from chalicelib.services import identity

    body = call.body(NewDoctor)
    code, record = identity.onboard_doctor(
        body.doctor_code, body.name, body.specialty, body.iban, clock.current()
    )
    return {
        "doctor_code": body.doctor_code,
        "enrolment_code": code,
        "enrolment_expires_at": rfc3339(record.expires_at),
    }


@route(
    bp,
    "/patients",
    method="POST",
    roles=OPERATOR,
    status=201,
    body=NewPatient,
    answer="Patient",
    idempotent=True,
    errors=(409,),
)
def create_patient(call: Call) -> dict[str, object]:
    """Register a patient.

    Stands in for the Agence eSanté registry feed. A patient already registered is 409.
    """
    from chalicelib.services import registry

    body = call.body(NewPatient)
    return patient_json(registry.register(call.me, body.matricule, body.feed(), clock.current()))


@route(
    bp,
    "/patients/{patient_id}",
    method="PUT",
    roles=OPERATOR,
    body=ReplacedPatient,
    answer="Patient",
    errors=(404,),
)
def replace_patient(call: Call) -> dict[str, object]:
    """Replace a registered patient's record (opt-in and opt-out changes, guardians)."""
    from chalicelib.services import registry

    body = call.body(ReplacedPatient)
    return patient_json(
        registry.update(call.me, call.params["patient_id"], body.matricule, body.feed(), clock.current())
    )


@route(
    bp,
    "/patients/{patient_id}/tokens",
    method="POST",
    roles=OPERATOR,
    status=201,
    answer="Token",
    idempotent=True,
    errors=(404,),
)
def patient_token(call: Call) -> dict[str, str]:
    """A patient's bearer token (12 hours); stands in for the eSanté login."""
    from chalicelib.services import registry

    return issued_json(registry.patient_token(call.me, call.params["patient_id"], clock.current()))


@route(
    bp,
    "/insurers/{insurer}/tokens",
    method="POST",
    roles=OPERATOR,
    status=201,
    answer="Token",
    idempotent=True,
)
def insurer_token(call: Call) -> Reply:
    """An insurer's bearer token."""
    from chalicelib.services import identity

    insurer = call.params["insurer"]
    if insurer not in INSURERS:
        raise Unprocessable.field("insurer", f"must be one of {', '.join(INSURERS)}")
    issued = identity.issue_token(clock.current(), role="insurer", insurer=insurer)
    return Reply(issued_json(issued), 201)


@route(bp, "/tokens/{token_id}", method="DELETE", roles=OPERATOR, status=204, errors=(409,))
def revoke_token(call: Call) -> Reply:
    """Revoke a patient's, an insurer's, an operator's or a pharmacy PC's token: 401 from then on.

    A practice device's token is 409: its practice revokes the device.
    """
    from chalicelib.services import identity

    identity.revoke_token(call.me, call.params["token_id"])
    return Reply(None, 204)


@route(
    bp,
    "/pharmacies",
    method="POST",
    roles=OPERATOR,
    status=201,
    body=NewPharmacy,
    answer="OnboardedPharmacy",
    idempotent=True,
    errors=(409,),
)
def create_pharmacy(call: Call) -> dict[str, object]:
    """Register a pharmacy and get the code that enrols its first PC (role `pharmacist`).

    A pharmacy already registered is 409.
    """
    from chalicelib.services import identity

    body = call.body(NewPharmacy)
    code, record = identity.onboard_pharmacy(body.pharmacy_code, body.name, clock.current())
    return {
        "pharmacy_code": body.pharmacy_code,
        "enrolment_code": code,
        "enrolment_expires_at": rfc3339(record.expires_at),
    }
