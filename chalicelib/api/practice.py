"""Practice software: device enrolment and management, and the patient check before billing."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint

from chalicelib.api.edge import DOCTOR, PRACTICE, Call, Reply, route
from chalicelib.api.fields import Body, ListQuery, Text, path_matricule
from chalicelib.core import clock
from chalicelib.domain.calendar import rfc3339, rfc3339_or_none
from chalicelib.services import identity, registry

bp = Blueprint(__name__)


class Enrol(Body):
    enrolment_code: Text
    device_name: Text


class NewEnrolmentCode(Body):
    role: Literal["doctor", "assistant"]
    name: Text | None = None


@route(bp, "/devices", method="POST", roles=None, status=201, idempotent=True)
def enrol(call: Call) -> dict[str, str]:
    body = call.body(Enrol)
    done = identity.enrol_device(body.enrolment_code, body.device_name, clock.current())
    return {
        "device_id": done.device_id,
        "token": done.token,
        "role": done.role,
        "doctor_code": done.doctor_code,
    }


@route(bp, "/practice/enrolment-codes", method="POST", roles=DOCTOR, status=201, idempotent=True)
def enrolment_code(call: Call) -> dict[str, str]:
    body = call.body(NewEnrolmentCode)
    code, record = identity.new_enrolment_code(call.me, body.role, body.name, clock.current())
    return {"enrolment_code": code, "expires_at": rfc3339(record.expires_at)}


@route(bp, "/practice/devices", roles=DOCTOR)
def devices(call: Call) -> dict[str, object]:
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


@route(bp, "/practice/devices/{device_id}", method="DELETE", roles=DOCTOR)
def revoke(call: Call) -> Reply:
    identity.revoke_device(call.me, call.params["device_id"], clock.current())
    return Reply(None, 204)


@route(bp, "/patients/{matricule}/status", roles=PRACTICE)
def patient_status(call: Call) -> dict[str, object]:
    found = registry.status(path_matricule(call))
    return {
        "matricule": found.matricule,
        "digital_admin": found.digital_admin,
        "app_active": found.app_active,
        "insurer": found.insurer,
    }
