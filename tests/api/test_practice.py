"""Practice software: enrolment codes, devices of one doctor, revocation, the patient check."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.core.clock import FixedClock
from tests.api.conftest import ADULT, DOCTOR_CODE, NOW, OPERATOR, Answer, Api
from tests.api.test_conventions import assert_problem, field_errors


def onboard(api: Api) -> str:
    made = api.post("/v1/doctors", OPERATOR, {"doctor_code": DOCTOR_CODE, "name": "Dr Anne Weber"})
    assert made.status == 201
    return str(made.json["enrolment_code"])


def new_code(api: Api, doctor: str, role: str, name: str | None = None) -> str:
    body = {"role": role} if name is None else {"role": role, "name": name}
    got = api.post("/v1/practice/enrolment-codes", doctor, body)
    assert got.status == 201, got.body
    return str(got.json["enrolment_code"])


class TestEnrolment:
    def test_enrol_answers_the_device(self, api: Api) -> None:
        code = onboard(api)
        got = api.post("/v1/devices", None, {"enrolment_code": code, "device_name": "PC cabinet"})
        assert got.status == 201, got.body
        assert set(got.json) == {"device_id", "token", "token_id", "expires_at", "role", "doctor_code"}
        assert got.json["device_id"].startswith("dev_")
        assert got.json["token_id"].startswith("tok_")
        assert datetime.fromisoformat(got.json["expires_at"]) == NOW + timedelta(days=400)
        assert got.json["role"] == "doctor"
        assert got.json["doctor_code"] == DOCTOR_CODE

    def test_a_code_works_once(self, api: Api) -> None:
        code = onboard(api)
        api.enrol(code)
        again = api.post("/v1/devices", None, {"enrolment_code": code, "device_name": "PC 2"})
        assert_problem(again, 409)

    def test_a_code_expires_after_24_hours(self, api: Api, fixed_clock: FixedClock) -> None:
        code = onboard(api)
        fixed_clock.advance(timedelta(hours=24))
        got = api.post("/v1/devices", None, {"enrolment_code": code, "device_name": "PC"})
        assert field_errors(got) == ["enrolment_code"]

    def test_a_code_still_works_just_before_expiry(self, api: Api, fixed_clock: FixedClock) -> None:
        code = onboard(api)
        fixed_clock.advance(timedelta(hours=23, minutes=59))
        api.enrol(code)

    def test_codes_are_read_loosely(self, api: Api) -> None:
        code = onboard(api)
        typed = code.lower().replace("-", " ")
        assert api.post("/v1/devices", None, {"enrolment_code": typed, "device_name": "PC"}).status == 201

    def test_unknown_code_is_422(self, api: Api) -> None:
        got = api.post("/v1/devices", None, {"enrolment_code": "AAAA-BBBB-CCCC-DDDD", "device_name": "PC"})
        assert field_errors(got) == ["enrolment_code"]

    def test_device_name_is_required(self, api: Api) -> None:
        code = onboard(api)
        assert field_errors(api.post("/v1/devices", None, {"enrolment_code": code})) == ["device_name"]


class TestDevices:
    def test_another_pc_and_an_assistant_under_one_doctor(self, api: Api) -> None:
        doctor = api.doctor()
        got = api.post("/v1/practice/enrolment-codes", doctor, {"role": "doctor"})
        assert got.status == 201
        assert set(got.json) == {"enrolment_code", "expires_at"}
        second_pc = api.post(
            "/v1/devices", None, {"enrolment_code": got.json["enrolment_code"], "device_name": "PC 2"}
        ).json
        assistant_code = new_code(api, doctor, "assistant", "Julie (secrétariat)")
        assistant = api.post(
            "/v1/devices", None, {"enrolment_code": assistant_code, "device_name": "PC accueil"}
        ).json
        assert second_pc["role"] == "doctor" and assistant["role"] == "assistant"
        assert second_pc["doctor_code"] == assistant["doctor_code"] == DOCTOR_CODE

        listed = api.get("/v1/practice/devices", doctor)
        assert listed.status == 200
        items = listed.json["items"]
        assert listed.json["next_cursor"] is None
        assert len(items) == 3
        assert {d["role"] for d in items} == {"doctor", "assistant"}
        by_id = {d["device_id"]: d for d in items}
        assert by_id[assistant["device_id"]]["name"] == "Julie (secrétariat)"
        assert by_id[second_pc["device_id"]]["name"] == "PC 2"
        assert all(d["revoked_at"] is None and d["created_at"] for d in items)

    def test_devices_are_paginated(self, api: Api) -> None:
        doctor = api.doctor()
        for i in range(4):
            api.enrol(new_code(api, doctor, "assistant"), f"PC {i}")
        seen = [d["device_id"] for page in api.pages("/v1/practice/devices", doctor, 2) for d in page]
        assert len(seen) == len(set(seen)) == 5

    def test_assistant_may_not_manage_devices(self, api: Api) -> None:
        doctor = api.doctor()
        assistant = api.enrol(new_code(api, doctor, "assistant"))
        assert_problem(api.get("/v1/practice/devices", assistant), 403)
        assert_problem(api.post("/v1/practice/enrolment-codes", assistant, {"role": "assistant"}), 403)

    def test_bad_role_is_422(self, api: Api) -> None:
        doctor = api.doctor()
        got = api.post("/v1/practice/enrolment-codes", doctor, {"role": "operator"})
        assert field_errors(got) == ["role"]

    def test_revoked_token_is_401_at_once(self, api: Api, fixed_clock: FixedClock) -> None:
        doctor = api.doctor()
        assistant_code = new_code(api, doctor, "assistant")
        enrolled = api.post("/v1/devices", None, {"enrolment_code": assistant_code, "device_name": "PC"})
        device_id, token = enrolled.json["device_id"], enrolled.json["token"]
        assert api.get("/v1/invoices", token).status == 200
        fixed_clock.advance(timedelta(minutes=1))
        got = api.delete(f"/v1/practice/devices/{device_id}", doctor)
        assert got.status == 204
        assert got.body == b""
        assert_problem(api.get("/v1/invoices", token), 401)
        listed = {d["device_id"]: d for d in api.get("/v1/practice/devices", doctor).json["items"]}
        assert listed[device_id]["revoked_at"] == "2026-11-23T09:31:00.000Z"
        assert_problem(api.delete(f"/v1/practice/devices/{device_id}", doctor), 404)

    def test_another_practice_device_is_404(self, api: Api) -> None:
        doctor = api.doctor()
        other = api.doctor("234567-89", "Dr Paul Hoffmann")
        mine = api.get("/v1/practice/devices", doctor).json["items"][0]["device_id"]
        assert_problem(api.delete(f"/v1/practice/devices/{mine}", other), 404)
        assert_problem(api.delete("/v1/practice/devices/not-an-id", other), 404)
        assert api.get("/v1/invoices", doctor).status == 200


def status_of(api: Api, token: str | None, matricule: object = ADULT) -> Answer:
    return api.post("/v1/patients/status", token, {"matricule": matricule})


class TestPatientStatus:
    def test_registered_patient(self, api: Api) -> None:
        doctor = api.doctor()
        assistant = api.enrol(new_code(api, doctor, "assistant"))
        api.patient(insurer="CMFEC")
        for token in (doctor, assistant):
            got = status_of(api, token)
            assert got.status == 200
            assert got.json == {
                "patient_id": api.ids[ADULT],
                "matricule": ADULT,
                "digital_admin": "opted_in",
                "app_active": True,
                "insurer": "CMFEC",
            }

    def test_unknown_patient(self, api: Api) -> None:
        doctor = api.doctor()
        got = status_of(api, doctor, "1893 12010 5732")
        assert got.status == 200
        assert got.json == {
            "patient_id": None,
            "matricule": ADULT,
            "digital_admin": "unknown",
            "app_active": False,
            "insurer": None,
        }

    @pytest.mark.parametrize("body", [{"matricule": "1893120105733"}, {}, {"matricule": 1893120105732}])
    def test_bad_matricule_is_422(self, api: Api, body: dict[str, object]) -> None:
        doctor = api.doctor()
        assert field_errors(api.post("/v1/patients/status", doctor, body)) == ["matricule"]

    def test_patients_and_insurers_may_not_look(self, api: Api) -> None:
        patient = api.patient()
        insurer = api.insurer()
        assert_problem(status_of(api, patient), 403)
        assert_problem(status_of(api, insurer), 403)
        assert_problem(status_of(api, None), 401)
