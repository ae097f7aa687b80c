"""Onboarding (operator): doctors, the patients' registry stand-in, patient and insurer tokens."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bench.awscalls import CallCounter
from chalicelib.core import ids
from tests.api.conftest import ADULT, NOW, OPERATOR, Api
from tests.api.test_conventions import assert_problem, field_errors
from tests.matricules import matricule

CHILD = "2015061200178"
OTHER_ADULT = "1985030400267"
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


def patient_id(api: Api, body: dict[str, object] = PATIENT) -> str:
    made = api.post("/v1/patients", OPERATOR, body)
    assert made.status == 201, made.body
    return str(made.json["patient_id"])


class TestPatients:
    def test_create_returns_the_patient_with_its_id(self, api: Api) -> None:
        got = api.post("/v1/patients", OPERATOR, {**PATIENT, "matricule": "1893 1201 057 32"})
        assert got.status == 201, got.body
        body = got.json
        assert ids.has_prefix(body.pop("patient_id"), "pat")
        assert body == {**PATIENT, "guardians": []}

    def test_each_patient_gets_its_own_id(self, api: Api) -> None:
        first = patient_id(api)
        second = patient_id(api, {**PATIENT, "matricule": CHILD})
        assert first != second
        assert ADULT not in first and ADULT[:8] not in first

    def test_a_minor_is_registered_with_guardians(self, api: Api) -> None:
        body = {**PATIENT, "matricule": CHILD, "guardians": [ADULT, "1985 0304 002 67", ADULT]}
        got = api.post("/v1/patients", OPERATOR, body)
        assert got.status == 201, got.body
        assert got.json["guardians"] == [ADULT, OTHER_ADULT]

    @pytest.mark.parametrize(
        ("guardians", "field"),
        [
            (["1893120105733"], "guardians[0]"),
            ([CHILD], "guardians"),
            ([matricule("19850304", f"{n:03d}") for n in range(11)], "guardians"),
            (ADULT, "guardians"),
        ],
    )
    def test_bad_guardians_are_422(self, api: Api, guardians: object, field: str) -> None:
        got = api.post("/v1/patients", OPERATOR, {**PATIENT, "matricule": CHILD, "guardians": guardians})
        assert field_errors(got) == [field]

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

    def test_put_changes_opt_in_and_guardians(self, api: Api) -> None:
        made = patient_id(api)
        changed = {**PATIENT, "digital_admin": "opted_out", "app_active": False, "guardians": [OTHER_ADULT]}
        got = api.put(f"/v1/patients/{made}", OPERATOR, changed)
        assert got.status == 200, got.body
        assert got.json == {**changed, "patient_id": made}
        doctor = api.doctor()
        status = api.post("/v1/patients/status", doctor, {"matricule": ADULT}).json
        assert status["digital_admin"] == "opted_out"
        assert status["app_active"] is False
        assert status["patient_id"] == made

    def test_put_may_leave_the_matricule_out(self, api: Api) -> None:
        made = patient_id(api)
        body = {k: v for k, v in PATIENT.items() if k != "matricule"}
        got = api.put(f"/v1/patients/{made}", OPERATOR, {**body, "name": "Marie Schmit-Weber"})
        assert got.status == 200
        assert got.json == {**PATIENT, "name": "Marie Schmit-Weber", "patient_id": made, "guardians": []}

    def test_put_for_an_unknown_patient_is_404(self, api: Api) -> None:
        assert_problem(api.put("/v1/patients/pat_01KAAAAAAAAAAAAAAAAAAAAAAA", OPERATOR, PATIENT), 404)
        assert_problem(api.put(f"/v1/patients/{ADULT}", OPERATOR, PATIENT), 404)

    def test_put_with_another_matricule_in_the_body_is_422(self, api: Api) -> None:
        made = patient_id(api)
        other = {**PATIENT, "matricule": matricule("18931201", "058")}
        got = api.put(f"/v1/patients/{made}", OPERATOR, other)
        assert field_errors(got) == ["matricule"]

    def test_only_the_operator_writes_the_registry(self, api: Api) -> None:
        made = patient_id(api)
        doctor = api.doctor()
        assert_problem(api.post("/v1/patients", doctor, PATIENT), 403)
        assert_problem(api.put(f"/v1/patients/{made}", doctor, PATIENT), 403)


class TestTokens:
    def test_patient_token(self, api: Api) -> None:
        made = patient_id(api)
        got = api.post(f"/v1/patients/{made}/tokens", OPERATOR)
        assert got.status == 201
        assert set(got.json) == {"token", "token_id", "expires_at"}
        assert got.json["token_id"].startswith("tok_")
        assert datetime.fromisoformat(got.json["expires_at"]) == NOW + timedelta(hours=12)
        assert api.get("/v1/patient/documents", got.json["token"]).status == 200

    def test_token_for_an_unknown_patient_is_404(self, api: Api) -> None:
        assert_problem(api.post("/v1/patients/pat_01KAAAAAAAAAAAAAAAAAAAAAAA/tokens", OPERATOR), 404)
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
        assert_problem(api.post(f"/v1/patients/{api.ids[ADULT]}/tokens", patient), 403)
        assert_problem(api.post("/v1/insurers/CNS/tokens", patient), 403)


class TestPatientIdLookups:
    """A `patient_id` is found by a Query on the index made for it, then a GetItem on the
    patient's key: never a scan, whatever the number of patients."""

    def test_every_route_naming_a_patient_id_reads_keys_only(self, api: Api) -> None:
        doctor = api.doctor()
        for serial in range(5):
            patient_id(api, {**PATIENT, "matricule": matricule("19700101", f"{serial:03d}")})
        made = patient_id(api)
        body = {k: v for k, v in PATIENT.items() if k != "matricule"}
        counter = CallCounter()
        counter.attach()
        assert api.put(f"/v1/patients/{made}", OPERATOR, body).status == 200
        token = api.post(f"/v1/patients/{made}/tokens", OPERATOR).json["token"]
        assert api.get(f"/v1/invoices?patient_id={made}", doctor).status == 200
        assert api.get(f"/v1/patient/documents?for={made}", token).status == 200
        calls = counter.meter.total.calls
        assert calls["dynamodb.Scan"] == 0
        # One Query on the index per lookup (4), and one per list read (2, both empty).
        assert calls["dynamodb.Query"] <= 4 + 2
        # Each lookup read the one index entry it asked for, not the other patients'.
        assert counter.meter.total.items_read <= 4

    def test_a_patient_id_names_one_patient(self, api: Api) -> None:
        first = patient_id(api)
        patient_id(api, {**PATIENT, "matricule": OTHER_ADULT, "name": "Jean Weber"})
        got = api.put(f"/v1/patients/{first}", OPERATOR, {**PATIENT, "app_active": False})
        assert (got.json["matricule"], got.json["name"]) == (ADULT, "Marie Schmit")
        doctor = api.doctor()
        other = api.post("/v1/patients/status", doctor, {"matricule": OTHER_ADULT}).json
        assert other["app_active"] is True
