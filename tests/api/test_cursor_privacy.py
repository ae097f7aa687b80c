"""List cursors travel in URLs: a list keyed by a patient carries no matricule in its cursor,
and the cursor still resumes the list it came from."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from tests.api.conftest import ADULT, DOCTOR_CODE, Api

HOURS = {
    "slot_minutes": 30,
    "weekly": [{"weekday": day, "start": "08:00", "end": "12:00"} for day in range(1, 6)],
}


def _decoded(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def _pages(api: Api, path: str, token: str) -> list[str]:
    """Every item id of the list, read one per page; each cursor is checked on the way."""
    seen: list[str] = []
    cursor = None
    while True:
        sep = "&" if "?" in path else "?"
        got = api.get(f"{path}{sep}limit=1" + (f"&cursor={cursor}" if cursor else ""), token)
        assert got.status == 200, got.body
        seen += [item["id"] for item in got.json["items"]]
        cursor = got.json["next_cursor"]
        if cursor is None:
            return seen
        assert ADULT not in _decoded(cursor)


def _two_invoices(api: Api) -> tuple[str, str]:
    doctor, patient = api.doctor(), api.patient()
    for _ in range(2):
        assert api.invoice(doctor).status == 201
    return doctor, patient


def _two_endpoints(api: Api) -> tuple[str, str]:
    patient = api.patient()
    for port in (9001, 9002):
        assert api.post("/v1/webhooks", patient, {"url": f"http://127.0.0.1:{port}/hook"}).status == 201
    return patient, patient


def _two_appointments(api: Api) -> tuple[str, str]:
    doctor, patient = api.doctor(), api.patient()
    assert api.put("/v1/practice/availability", doctor, HOURS).status == 200
    for start in ("2026-11-24T08:00:00+01:00", "2026-11-24T08:30:00+01:00"):
        booked = api.post("/v1/appointments", patient, {"doctor_code": DOCTOR_CODE, "start": start})
        assert booked.status == 201, booked.body
    return doctor, patient


CASES: list[tuple[str, Callable[[Api], tuple[str, str]], bool]] = [
    ("/v1/invoices?patient_id={patient_id}", _two_invoices, False),
    ("/v1/patient/documents", _two_invoices, True),
    ("/v1/webhooks", _two_endpoints, True),
    ("/v1/patient/appointments", _two_appointments, True),
]


@pytest.mark.parametrize(("path", "setup", "as_patient"), CASES, ids=[c[0] for c in CASES])
def test_a_patients_list_keeps_the_matricule_out_of_its_cursor(
    api: Api, path: str, setup: Callable[[Api], tuple[str, str]], as_patient: bool
) -> None:
    doctor, patient = setup(api)
    ids = _pages(api, path.format(patient_id=api.ids[ADULT]), patient if as_patient else doctor)
    assert len(ids) == len(set(ids)) == 2


def test_a_cursor_of_another_endpoints_deliveries_is_a_422(api: Api) -> None:
    patient = api.patient()
    made = api.post("/v1/webhooks", patient, {"url": "http://127.0.0.1:9001/hook"}).json
    cursor = base64.urlsafe_b64encode(
        b'{"endpoint_id":{"S":"whk_other"},"delivery_id":{"S":"dlv_x"}}'
    ).decode()
    got = api.get(f"/v1/webhooks/{made['id']}/deliveries?cursor={cursor}", patient)
    assert got.status == 422, got.body
    assert got.json["errors"][0]["field"] == "cursor"
