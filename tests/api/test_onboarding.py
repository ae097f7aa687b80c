"""Onboarding (operator): doctors, the patients' registry stand-in, patient and insurer tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.conftest import ADULT, NOW, OPERATOR, Api
from tests.api.test_conventions import assert_problem, field_errors
from tests.matricules import matricule

PATIENT = {
    "matricule": ADULT,
    "name": "Marie Schmit",
    "insurer": "CNS",
    "digital_admin": "opted_in",
    "app_active": True,
}


class TestDoctors:
    def test_onboard_gives_a_24_hour_enrolment_code(self, api: Api) -> None:
        got = api.post("/v1/doctors", OPERATOR, {"doctor_code": "12345678", "name": "Dr Anne Weber"})
        assert got.status == 201, got.body
        assert got.headers["content-type"] == "application/json"
        assert set(got.json) == {"doctor_code", "enrolment_code", "enrolment_expires_at"}
        assert got.json["doctor_code"] == "123456-78"
        expires = datetime.fromisoformat(got.json["enrolment_expires_at"])
        assert expires == NOW + timedelta(hours=24)

    def test_duplicate_doctor_is_409(self, api: Api) -> None:
        body = {"doctor_code": "123456-78", "name": "Dr Anne Weber"}
        assert api.post("/v1/doctors", OPERATOR, body).status == 201
        assert_problem(api.post("/v1/doctors", OPERATOR, {**body, "doctor_code": "12345678"}), 409)

    @pytest.mark.parametrize("code", ["1234567", "123456-789", "ABCDEF-GH", "", "12-345678"])
    def test_bad_doctor_code_is_422(self, api: Api, code: str) -> None:
        got = api.post("/v1/doctors", OPERATOR, {"doctor_code": code, "name": "Dr X"})
        assert field_errors(got) == ["doctor_code"]

    def test_only_the_operator_onboards(self, api: Api) -> None:
        doctor = api.doctor()
        assert_problem(api.post("/v1/doctors", doctor, {"doctor_code": "234567-89", "name": "X"}), 403)
        assert_problem(api.post("/v1/doctors", None, {"doctor_code": "234567-89", "name": "X"}), 401)

    def test_name_is_required(self, api: Api) -> None:
        assert field_errors(api.post("/v1/doctors", OPERATOR, {"doctor_code": "123456-78"})) == ["name"]


class TestPatients:
    def test_create_returns_the_patient(self, api: Api) -> None:
        got = api.post("/v1/patients", OPERATOR, {**PATIENT, "matricule": "1893 1201 057 32"})
        assert got.status == 201, got.body
        assert got.json == PATIENT

    def test_duplicate_patient_is_409(self, api: Api) -> None:
        assert api.post("/v1/patients", OPERATOR, PATIENT).status == 201
        assert_problem(api.post("/v1/patients", OPERATOR, PATIENT), 409)

    def test_bad_matricule_is_422(self, api: Api) -> None:
        got = api.post("/v1/patients", OPERATOR, {**PATIENT, "matricule": "1893120105733"})
        assert field_errors(got) == ["matricule"]

    @pytest.mark.parametrize(
        ("field", "value"),
        [("insurer", "AXA"), ("digital_admin", "maybe"), ("app_active", "yes"), ("name", "")],
    )
    def test_bad_fields_are_named(self, api: Api, field: str, value: object) -> None:
        got = api.post("/v1/patients", OPERATOR, {**PATIENT, field: value})
        assert field_errors(got) == [field]

    def test_put_changes_opt_in(self, api: Api) -> None:
        api.post("/v1/patients", OPERATOR, PATIENT)
        changed = {**PATIENT, "digital_admin": "opted_out", "app_active": False}
        got = api.put(f"/v1/patients/{ADULT}", OPERATOR, changed)
        assert got.status == 200, got.body
        assert got.json == changed
        doctor = api.doctor()
        status = api.get(f"/v1/patients/{ADULT}/status", doctor).json
        assert status["digital_admin"] == "opted_out"
        assert status["app_active"] is False

    def test_put_creates_an_unknown_patient(self, api: Api) -> None:
        body = {k: v for k, v in PATIENT.items() if k != "matricule"}
        got = api.put(f"/v1/patients/{ADULT}", OPERATOR, body)
        assert got.status == 200
        assert got.json == PATIENT

    def test_put_with_another_matricule_in_the_body_is_422(self, api: Api) -> None:
        other = {**PATIENT, "matricule": matricule("18931201", "058")}
        got = api.put(f"/v1/patients/{ADULT}", OPERATOR, other)
        assert field_errors(got) == ["matricule"]

    def test_put_with_a_bad_path_matricule_is_422(self, api: Api) -> None:
        got = api.put("/v1/patients/1893120105733", OPERATOR, PATIENT)
        assert field_errors(got) == ["matricule"]

    def test_only_the_operator_writes_the_registry(self, api: Api) -> None:
        doctor = api.doctor()
        assert_problem(api.post("/v1/patients", doctor, PATIENT), 403)
        assert_problem(api.put(f"/v1/patients/{ADULT}", doctor, PATIENT), 403)


class TestTokens:
    def test_patient_token(self, api: Api) -> None:
        api.post("/v1/patients", OPERATOR, PATIENT)
        got = api.post(f"/v1/patients/{ADULT}/tokens", OPERATOR)
        assert got.status == 201
        assert set(got.json) == {"token", "token_id", "expires_at"}
        assert got.json["token_id"].startswith("tok_")
        assert datetime.fromisoformat(got.json["expires_at"]) == NOW + timedelta(hours=12)
        assert api.get("/v1/patient/documents", got.json["token"]).status == 200

    def test_token_for_an_unknown_patient_is_404(self, api: Api) -> None:
        assert_problem(api.post(f"/v1/patients/{ADULT}/tokens", OPERATOR), 404)

    def test_insurer_token(self, api: Api) -> None:
        got = api.post("/v1/insurers/CMFEP/tokens", OPERATOR)
        assert got.status == 201
        assert set(got.json) == {"token", "token_id", "expires_at"}
        assert got.json["token_id"].startswith("tok_")
        assert datetime.fromisoformat(got.json["expires_at"]) == NOW + timedelta(days=30)
        assert api.get("/v1/insurer/claims", got.json["token"]).status == 200

    def test_unknown_insurer_is_422(self, api: Api) -> None:
        assert field_errors(api.post("/v1/insurers/AXA/tokens", OPERATOR)) == ["insurer"]

    def test_tokens_are_for_the_operator_only(self, api: Api) -> None:
        patient = api.patient()
        assert_problem(api.post(f"/v1/patients/{ADULT}/tokens", patient), 403)
        assert_problem(api.post("/v1/insurers/CNS/tokens", patient), 403)
