"""Practice software: device enrolment and management, and the patient check before billing."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice.app import Blueprint
from pydantic import Field

from chalicelib.api.edge import DOCTOR, PRACTICE, Call, Reply, route
from chalicelib.api.fields import Body, ListQuery, Matricule, Text, rule
from chalicelib.api.sessions import issued_json
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339, rfc3339_or_none

bp = Blueprint(__name__)


class Enrol(Body):
    enrolment_code: Annotated[
        Text,
        Field(
            examples=["7K3M-Q9R2-T4V6-W8X0"],
            description="Read without regard to case, dashes or spaces.",
            json_schema_extra=rule("a code DHN made, unused and less than 24 h old"),
        ),
    ]
    device_name: Annotated[Text, Field(examples=["PC accueil"])]


class NewEnrolmentCode(Body):
    role: Literal["doctor", "assistant"]
    name: Annotated[
        Text | None,
        Field(description="The device's name in the list; the enrolling device's own name where absent."),
    ] = None


class StatusLookup(Body):
    matricule: Matricule


# Not replayed by Idempotency-Key: the answer holds the device's token, which is given once.
# Spending the code is what makes enrolment safe to retry: a replay is a 409, key or no key.
@route(bp, "/devices", method="POST", roles=None, status=201, body=Enrol, answer="Enrolment", errors=(409,))
def enrol(call: Call) -> dict[str, str | None]:
    """Enrol a PC or an assistant, or a pharmacy's PC, with an enrolment code.

    A code works once and expires 24 h after it was made: an unknown or expired code is 422 on
    `enrolment_code`, a used one 409. The token is answered once: the same enrolment sent
    again, with or without an `Idempotency-Key`, is 409.
    """
    from chalicelib.services import identity

    body = call.body(Enrol)
    done = identity.enrol_device(body.enrolment_code, body.device_name, clock.current())
    joined = {"doctor_code": done.doctor_code} if done.doctor_code else {"pharmacy_code": done.pharmacy_code}
    return {"device_id": done.device_id, **issued_json(done.token), "role": done.role, **joined}


@route(
    bp,
    "/practice/enrolment-codes",
    method="POST",
    roles=DOCTOR,
    status=201,
    body=NewEnrolmentCode,
    answer="EnrolmentCode",
    idempotent=True,
)
def enrolment_code(call: Call) -> dict[str, str]:
    """A code for another PC of the doctor, or for an assistant."""
    from chalicelib.services import identity

    body = call.body(NewEnrolmentCode)
    code, record = identity.new_enrolment_code(call.me, body.role, body.name, clock.current())
    return {"enrolment_code": code, "expires_at": rfc3339(record.expires_at)}


@route(bp, "/practice/devices", roles=DOCTOR, query=ListQuery, answer="DevicePage")
def devices(call: Call) -> dict[str, object]:
    """Every device of the practice, revoked ones included."""
    from chalicelib.services import identity

    query = call.args(ListQuery)
    page = identity.list_devices(call.me, query.limit, query.cursor)
    return {
        "items": [
            {
                "device_id": d.device_id,
                "name": d.name,
                "role": d.role,
                "created_at": rfc3339(d.created_at),
                "revoked_at": rfc3339_or_none(d.revoked_at),
            }
            for d in page.items
        ],
        "next_cursor": page.next_cursor,
    }


@route(bp, "/practice/devices/{device_id}", method="DELETE", roles=DOCTOR, status=204)
def revoke(call: Call) -> Reply:
    """Revoke a device; its token answers 401 from the next request on."""
    from chalicelib.services import identity

    identity.revoke_device(call.me, call.params["device_id"], clock.current())
    return Reply(None, 204)


# A POST, so the matricule travels in the body and never in a URL.
@route(bp, "/patients/status", method="POST", roles=PRACTICE, body=StatusLookup, answer="PatientStatus")
def patient_status(call: Call) -> dict[str, object]:
    """What a practice may know before billing a patient; journaled for the patient."""
    from chalicelib.services import registry

    found = registry.status(call.me, call.body(StatusLookup).matricule, clock.current())
    return {
        "patient_id": found.patient_id,
        "matricule": found.matricule,
        "digital_admin": found.digital_admin,
        "app_active": found.app_active,
        "insurer": found.insurer,
    }
