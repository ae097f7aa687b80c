"""The contract's conventions: public routes, authentication, problem+json, tracing and
idempotency keys."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from chalicelib.core.errors import Conflict
from tests.api.conftest import ADULT, Answer, Api

PROBLEM = "application/problem+json"


def assert_problem(got: Answer, status: int) -> dict[str, object]:
    assert got.status == status, got.body
    assert got.headers["content-type"] == PROBLEM
    body = got.json
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert "Traceback" not in got.body.decode()
    return dict(body)


def field_errors(got: Answer) -> list[str]:
    body = assert_problem(got, 422)
    errors = body["errors"]
    assert isinstance(errors, list) and errors
    assert all(isinstance(e, dict) and set(e) == {"field", "message"} and e["message"] for e in errors)
    return [e["field"] for e in errors]


def test_health_needs_no_token(api: Api) -> None:
    got = api.get("/v1/health")
    assert got.status == 200
    assert got.json == {"status": "ok"}


def test_jwks_is_public_and_holds_ed25519_keys(api: Api) -> None:
    got = api.get("/v1/.well-known/jwks.json")
    assert got.status == 200
    keys = got.json["keys"]
    assert keys
    assert all(key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["kid"] and key["x"] for key in keys)
    assert all("d" not in key for key in keys)


def test_request_id_is_echoed(api: Api) -> None:
    got = api.get("/v1/health", headers={"X-Request-Id": "trace-42.a:b"})
    assert got.headers["x-request-id"] == "trace-42.a:b"


def test_request_id_is_made_when_absent_or_unsafe(api: Api) -> None:
    assert api.get("/v1/health").headers["x-request-id"]
    unsafe = api.get("/v1/health", headers={"X-Request-Id": "<script>"}).headers["x-request-id"]
    assert unsafe and unsafe != "<script>"


def test_request_id_on_errors_too(api: Api) -> None:
    got = api.get("/v1/invoices", headers={"X-Request-Id": "r-1"})
    assert got.status == 401
    assert got.headers["x-request-id"] == "r-1"


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Basic abc", "Bearer dhn_unknown"])
def test_no_or_unknown_token_is_401(api: Api, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    assert_problem(api.get("/v1/invoices", headers=headers), 401)


def test_malformed_json_is_400(api: Api) -> None:
    doctor = api.doctor()
    got = api.post("/v1/invoices", doctor, '{"patient_matricule": ')
    assert_problem(got, 400)


def test_a_body_that_is_not_an_object_is_422(api: Api) -> None:
    doctor = api.doctor()
    assert field_errors(api.post("/v1/invoices", doctor, "[1, 2]")) == ["body"]


def test_unknown_body_field_is_named(api: Api) -> None:
    doctor = api.doctor()
    api.patient()
    got = api.invoice(doctor, discount_cents=100)
    assert field_errors(got) == ["discount_cents"]


def test_validation_names_every_bad_field(api: Api) -> None:
    doctor = api.doctor()
    got = api.post(
        "/v1/invoices",
        doctor,
        {"patient_matricule": "1893120105733", "service_date": "yesterday", "lines": []},
    )
    assert set(field_errors(got)) == {"patient_matricule", "service_date", "lines"}


def test_problem_detail_never_echoes_a_matricule(api: Api) -> None:
    doctor = api.doctor()
    got = api.invoice(doctor, "1893120105733")
    assert field_errors(got) == ["patient_matricule"]
    assert "1893120105733" not in got.body.decode()


class TestIdempotency:
    def test_same_key_same_body_gives_the_first_answer(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        body = {
            "patient_matricule": ADULT,
            "service_date": "2026-11-20",
            "lines": [{"code": "C1", "quantity": 1}],
        }
        key = {"Idempotency-Key": "pc1-0001"}
        first = api.post("/v1/invoices", doctor, body, headers=key)
        again = api.post("/v1/invoices", doctor, body, headers=key)
        assert first.status == again.status == 201
        assert again.json == first.json
        listed = api.get("/v1/invoices", doctor).json["items"]
        assert [i["id"] for i in listed] == [first.json["id"]]

    def test_same_key_other_body_is_422(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        key = {"Idempotency-Key": "pc1-0002"}
        body = {"patient_matricule": ADULT, "service_date": "2026-11-20", "lines": [{"code": "C1"}]}
        assert api.post("/v1/invoices", doctor, body, headers=key).status == 201
        other = {**body, "service_date": "2026-11-19"}
        assert field_errors(api.post("/v1/invoices", doctor, other, headers=key)) == ["Idempotency-Key"]

    def test_a_failed_request_does_not_hold_its_key(self, api: Api) -> None:
        doctor = api.doctor()
        key = {"Idempotency-Key": "pc1-0003"}
        body = {"patient_matricule": ADULT, "service_date": "2026-11-20", "lines": [{"code": "C1"}]}
        # The patient is not registered yet and no insurer is given: 422.
        assert api.post("/v1/invoices", doctor, body, headers=key).status == 422
        api.patient()
        assert api.post("/v1/invoices", doctor, body, headers=key).status == 201

    def test_keys_belong_to_one_caller(self, api: Api) -> None:
        first = api.doctor()
        second = api.doctor("234567-89", "Dr Paul Hoffmann")
        api.patient()
        key = {"Idempotency-Key": "same-key"}
        body = {"patient_matricule": ADULT, "service_date": "2026-11-20", "lines": [{"code": "C1"}]}
        one = api.post("/v1/invoices", first, body, headers=key)
        two = api.post("/v1/invoices", second, body, headers=key)
        assert one.status == two.status == 201
        assert one.json["id"] != two.json["id"]
        assert two.json["doctor_code"] == "234567-89"

    def test_a_malformed_key_is_422(self, api: Api) -> None:
        doctor = api.doctor()
        api.patient()
        body = {"patient_matricule": ADULT, "service_date": "2026-11-20", "lines": [{"code": "C1"}]}
        got = api.post("/v1/invoices", doctor, body, headers={"Idempotency-Key": "x" * 256})
        assert field_errors(got) == ["Idempotency-Key"]


def test_a_key_in_progress_is_409(api: Api) -> None:
    from chalicelib.store import idempotency

    def inner() -> dict[str, object]:
        return {"status": 201, "body": {}, "headers": {}}

    def outer() -> dict[str, object]:
        idempotency.once("scope:key", "fingerprint", inner, None)
        return inner()

    with pytest.raises(Conflict):
        idempotency.once("scope:key", "fingerprint", outer, None)


def test_a_key_in_progress_expires_with_the_lambda(api: Api) -> None:
    """The record of a request cut off by a timeout does not block its key for 24 hours."""
    doctor = api.doctor()
    api.patient()
    body = {"patient_matricule": ADULT, "service_date": "2026-11-20", "lines": [{"code": "C1"}]}
    invoice = api.post("/v1/invoices", doctor, body).json
    # A payment's key is recorded around its handler, by Powertools (an invoice's commits
    # with the invoice: tests/api/test_crash_safety.py).
    payment = {"amount_cents": 100, "method": "cash"}
    with warnings.catch_warnings():
        # Powertools warns when it cannot tell when the request's time runs out.
        warnings.simplefilter("error")
        got = api.post(
            f"/v1/invoices/{invoice['id']}/payments", doctor, payment, headers={"Idempotency-Key": "k-1"}
        )
    assert got.status == 201


def test_unsupported_method_is_problem_json(api: Api) -> None:
    doctor = api.doctor()
    got = api.call("PATCH", "/v1/invoices", doctor)
    assert_problem(got, 405)
    assert set(got.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_unsupported_media_type_is_problem_json(api: Api) -> None:
    doctor = api.doctor()
    got = api.post("/v1/invoices", doctor, "<invoice/>", headers={"content-type": "application/xml"})
    assert_problem(got, 415)


def test_handlers_read_their_own_request(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """`chalice local` serves requests on parallel threads that share `app.current_request`:
    another request may replace it while this one is on its way to the handler."""
    from app import app
    from chalicelib.api.edge.tracing import request_id

    doctor = api.doctor()

    def replaced_meanwhile(request: Any) -> str:
        app.current_request = None
        return request_id(request)

    monkeypatch.setattr("app.request_id", replaced_meanwhile)
    got = api.get("/v1/invoices", doctor)
    assert got.status == 200, got.body


def test_anonymous_callers_do_not_share_keys(api: Api) -> None:
    from tests.api.conftest import OPERATOR

    codes = [
        api.post("/v1/doctors", OPERATOR, {"doctor_code": code, "name": "Dr X"}).json["enrolment_code"]
        for code in ("123456-78", "234567-89")
    ]
    key = {"Idempotency-Key": "enrol-1"}
    first, second = (
        api.post("/v1/devices", None, {"enrolment_code": code, "device_name": "PC"}, headers=key)
        for code in codes
    )
    assert first.status == second.status == 201
    assert first.json["doctor_code"] != second.json["doctor_code"]
    # A device's token is never answered twice: the replay is told the code was used.
    again = api.post("/v1/devices", None, {"enrolment_code": codes[0], "device_name": "PC"}, headers=key)
    assert_problem(again, 409)


def test_saved_idempotent_answers_hold_no_secret_in_clear(api: Api) -> None:
    """An answer kept for replay may carry a bearer token or a webhook secret: it is stored
    sealed, and the replay still gives it back."""
    import boto3

    from chalicelib.core import config

    patient = api.patient()
    key = {"Idempotency-Key": "token-1"}
    token = api.post(f"/v1/patients/{api.ids[ADULT]}/tokens", "operator-test-token", headers=key)
    assert token.status == 201
    hook = {"url": "http://127.0.0.1:9001/hook"}
    made = api.post("/v1/webhooks", patient, hook, headers=key)
    assert made.status == 201
    assert api.post("/v1/webhooks", patient, hook, headers=key).json == made.json
    table = boto3.client("dynamodb").scan(TableName=config.table_name("idempotency"))
    saved = str(table["Items"])
    assert made.json["secret"] not in saved
    assert token.json["token"] not in saved


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("to=0", "to"),
        ("from=1700000000", "from"),
        ("to=2026-1-5", "to"),
        ("limit=1.0", "limit"),
        ("limit=%201", "limit"),
        ("limit=1e1", "limit"),
        ("limit=0", "limit"),
        ("status=lost", "status"),
        ("patient_id=pat_01JD5Z7H2K4M6N8P0Q2R4S6T8V%09", "patient_id"),
    ],
)
def test_a_query_is_read_as_written_or_refused(api: Api, query: str, field: str) -> None:
    """Query text is read in its one written form: pydantic alone would take `to=0` for
    1 January 1970 and `limit=1.0` for 1."""
    doctor = api.doctor()
    assert field_errors(api.get(f"/v1/invoices?{query}", doctor)) == [field]


def test_query_booleans_are_true_or_false(api: Api) -> None:
    insurer = api.insurer()
    assert api.get("/v1/insurer/claims?overdue=true", insurer).status == 200
    assert field_errors(api.get("/v1/insurer/claims?overdue=yes", insurer)) == ["overdue"]
    assert field_errors(api.get("/v1/insurer/claims?overdue=1", insurer)) == ["overdue"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"service_date": "0"}, "service_date"),
        ({"service_date": 0}, "service_date"),
        ({"payment": {"method": "card", "amount_cents": 5770, "paid_at": "1700000000"}}, "payment.paid_at"),
        (
            {"payment": {"method": "card", "amount_cents": 5770, "paid_at": "2026-11-20T10:00"}},
            "payment.paid_at",
        ),
        (
            {"payment": {"method": "card", "amount_cents": 5770, "paid_at": "2026-11-20T10:00:00"}},
            "payment.paid_at",
        ),
        ({"payment": {"method": "card", "amount_cents": 57.5}}, "payment.amount_cents"),
    ],
)
def test_body_dates_instants_and_amounts_are_read_as_written(
    api: Api, fields: dict[str, Any], field: str
) -> None:
    doctor = api.doctor()
    api.patient()
    assert field_errors(api.invoice(doctor, **fields)) == [field]


def test_a_whole_number_written_with_a_fraction_is_that_number(api: Api) -> None:
    """JSON has one kind of number: 5770.0 is the integer 5770, as the contract's schema reads it."""
    doctor = api.doctor()
    api.patient()
    got = api.invoice(
        doctor, payment={"method": "card", "amount_cents": 5770.0}, lines=[{"code": "C1", "quantity": 1.0}]
    )
    assert got.status == 201, got.body
    assert got.json["paid_cents"] == 5770


@pytest.mark.parametrize("matricule", ["1893 1201 057 32", " 1893120105732 "])
def test_a_matricule_takes_spaces(api: Api, matricule: str) -> None:
    doctor = api.doctor()
    api.patient()
    assert api.invoice(doctor, matricule).status == 201


@pytest.mark.parametrize("matricule", ["1893120105732\t", "1893\u00a0120105732", "18931201057321"])
def test_a_matricule_takes_no_other_white_space_or_digit(api: Api, matricule: str) -> None:
    doctor = api.doctor()
    assert field_errors(api.invoice(doctor, matricule)) == ["patient_matricule"]


def test_text_is_trimmed_and_must_keep_something(api: Api) -> None:
    from tests.api.conftest import OPERATOR

    made = api.post("/v1/doctors", OPERATOR, {"doctor_code": "123456-78", "name": "  Dr Anne Weber \u3000"})
    assert made.status == 201, made.body
    blank = api.post("/v1/doctors", OPERATOR, {"doctor_code": "234567-89", "name": " \u2003\t"})
    assert field_errors(blank) == ["name"]


def test_a_handler_reads_only_the_models_its_route_declares() -> None:
    """The contract documents the declared models: reading another is a bug, found at once."""
    from pydantic import BaseModel

    from chalicelib.api.edge import Call

    class Declared(BaseModel):
        pass

    class Other(BaseModel):
        pass

    call = Call(None, {}, {}, b"{}", body_model=Declared, query_model=Declared)
    assert isinstance(call.body(Declared), Declared)
    with pytest.raises(TypeError, match="declares Declared"):
        call.body(Other)
    with pytest.raises(TypeError, match="declares Declared"):
        call.args(Other)
