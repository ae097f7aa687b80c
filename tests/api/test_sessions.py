"""Credentials: every token expires, can be revoked and (for machines) rotated; credential
reads are strongly consistent, so a revoked token is 401 on the very next request."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3
import pytest

from chalicelib.core import clock, config
from chalicelib.core.clock import FixedClock
from chalicelib.core.errors import Unprocessable
from chalicelib.services import identity
from tests.api.conftest import ADULT, NOW, OPERATOR, Answer, Api
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_practice import new_code, onboard

# A route each kind of caller may use, to tell whether its token still works.
PROBE = {
    "patient": "/v1/patient/documents",
    "insurer": "/v1/insurer/claims",
    "doctor": "/v1/invoices",
    "operator": "/v1/insurers/CNS/tokens",
}


def works(api: Api, role: str, token: str) -> Answer:
    probe = PROBE[role]
    return api.post(probe, token) if role == "operator" else api.get(probe, token)


def operator_token(name: str = "Anne Weber") -> dict[str, str]:
    """What the operator command line mints, through the same service."""
    bootstrap = identity.authenticate(f"Bearer {OPERATOR}", clock.current())
    issued = identity.mint_operator_token(bootstrap, name, clock.current())
    return {"token": issued.token, "token_id": issued.token_id}


def minted(api: Api, role: str) -> dict[str, str]:
    """A fresh token of `role`, with its token_id."""
    if role == "patient":
        got = api.post(f"/v1/patients/{api.register(ADULT)}/tokens", OPERATOR)
    elif role == "insurer":
        got = api.post("/v1/insurers/CNS/tokens", OPERATOR)
    elif role == "doctor":
        got = api.post("/v1/devices", None, {"enrolment_code": onboard(api), "device_name": "PC"})
    else:
        return operator_token()
    assert got.status == 201, got.body
    return {"token": got.json["token"], "token_id": got.json["token_id"]}


def expired(got: Answer) -> None:
    detail = str(assert_problem(got, 401)["detail"])
    assert "expired" in detail


LIFETIMES = [
    ("patient", timedelta(hours=12)),
    ("operator", timedelta(hours=8)),
    ("insurer", timedelta(days=30)),
    ("doctor", timedelta(days=400)),
]


class TestExpiry:
    @pytest.mark.parametrize(("role", "lifetime"), LIFETIMES)
    def test_a_token_works_until_its_lifetime_ends(
        self, api: Api, fixed_clock: FixedClock, role: str, lifetime: timedelta
    ) -> None:
        token = minted(api, role)["token"]
        fixed_clock.advance(lifetime - timedelta(seconds=1))
        assert works(api, role, token).status in (200, 201)
        fixed_clock.advance(timedelta(seconds=1))
        expired(works(api, role, token))

    def test_the_expiry_is_what_the_mint_answered(self, api: Api) -> None:
        got = api.post("/v1/insurers/CNS/tokens", OPERATOR)
        assert datetime.fromisoformat(got.json["expires_at"]) == NOW + timedelta(days=30)

    def test_dynamodb_expires_the_items_too(self, api: Api) -> None:
        minted(api, "insurer")
        (item,) = boto3.client("dynamodb").scan(TableName=config.table_name("tokens"))["Items"]
        assert int(item["expires"]["N"]) == int((NOW + timedelta(days=30)).timestamp())


class TestTokens:
    def test_only_a_hash_of_the_token_is_stored(self, api: Api) -> None:
        token = minted(api, "insurer")
        secret = token["token"].removeprefix(f"dhn_{token['token_id']}_")
        assert len(secret) == 43  # 32 random bytes, on top of the token_id's own randomness
        stored = str(boto3.client("dynamodb").scan(TableName=config.table_name("tokens"))["Items"])
        assert secret not in stored

    def test_the_token_id_with_another_secret_is_401(self, api: Api) -> None:
        token = minted(api, "insurer")["token"]
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        assert_problem(works(api, "insurer", forged), 401)

    @pytest.mark.parametrize("token", ["nope", "dhn_tok_" + "0" * 26 + "_" + "A" * 43, "x" * 5000])
    def test_unknown_tokens_are_401(self, api: Api, token: str) -> None:
        assert_problem(api.get("/v1/invoices", token), 401)

    @pytest.mark.usefixtures("api")
    def test_the_operator_name_travels_on_the_caller(self) -> None:
        named = identity.authenticate(f"Bearer {operator_token('Luc Muller')['token']}", clock.current())
        assert (named.role, named.operator) == ("operator", "Luc Muller")
        bootstrap = identity.authenticate(f"Bearer {OPERATOR}", clock.current())
        assert bootstrap.operator == identity.BOOTSTRAP_OPERATOR

    @pytest.mark.usefixtures("api")
    def test_an_operator_token_names_someone(self) -> None:
        with pytest.raises(Unprocessable):
            operator_token("  ")

    def test_a_named_operator_onboards(self, api: Api) -> None:
        token = operator_token()["token"]
        made = api.post("/v1/doctors", token, {"doctor_code": "123456-78", "name": "Dr Anne Weber"})
        assert made.status == 201, made.body


class TestStaticOperatorToken:
    def test_refused_when_running_in_lambda(self, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
        named = operator_token()["token"]
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "dhn-dev-APIHandler")
        assert_problem(api.post("/v1/insurers/CNS/tokens", OPERATOR), 401)
        # Named operators still work there: they are the only operators an AWS stage has.
        assert api.post("/v1/insurers/CNS/tokens", named).status == 201

    @pytest.mark.parametrize("stage", ["dev", "prod"])
    def test_refused_in_a_deployed_stage(self, monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
        monkeypatch.setenv("DHN_STAGE", stage)
        assert config.bootstrap_operator_token() is None

    def test_honoured_on_a_laptop_and_in_the_tests(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert config.bootstrap_operator_token() == OPERATOR
        monkeypatch.setenv("DHN_STAGE", "local")
        assert config.bootstrap_operator_token() == OPERATOR
        monkeypatch.delenv(config.OPERATOR_TOKEN_ENV)
        assert config.bootstrap_operator_token() is None

    def test_it_cannot_end(self, api: Api) -> None:
        assert_problem(api.delete("/v1/sessions/current", OPERATOR), 403)
        assert api.post("/v1/insurers/CNS/tokens", OPERATOR).status == 201


class TestRevocation:
    @pytest.mark.parametrize("role", ["patient", "insurer", "operator"])
    def test_the_very_next_request_is_401(self, api: Api, role: str) -> None:
        token = minted(api, role)
        assert works(api, role, token["token"]).status in (200, 201)
        got = api.delete(f"/v1/tokens/{token['token_id']}", OPERATOR)
        assert got.status == 204
        assert got.body == b""
        assert_problem(works(api, role, token["token"]), 401)
        assert_problem(api.delete(f"/v1/tokens/{token['token_id']}", OPERATOR), 404)

    def test_one_operator_revokes_another(self, api: Api) -> None:
        first, second = operator_token("Anne Weber"), operator_token("Luc Muller")
        assert api.delete(f"/v1/tokens/{second['token_id']}", first["token"]).status == 204
        assert_problem(works(api, "operator", second["token"]), 401)
        assert works(api, "operator", first["token"]).status == 201

    def test_a_device_token_is_revoked_with_its_device(self, api: Api) -> None:
        device = minted(api, "doctor")
        assert_problem(api.delete(f"/v1/tokens/{device['token_id']}", OPERATOR), 409)
        assert works(api, "doctor", device["token"]).status == 200

    @pytest.mark.parametrize("token_id", ["tok_01KAAAAAAAAAAAAAAAAAAAAAAA", "not-an-id"])
    def test_an_unknown_token_is_404(self, api: Api, token_id: str) -> None:
        assert_problem(api.delete(f"/v1/tokens/{token_id}", OPERATOR), 404)

    def test_only_operators_revoke_by_token_id(self, api: Api) -> None:
        insurer = minted(api, "insurer")
        assert_problem(api.delete(f"/v1/tokens/{insurer['token_id']}", insurer["token"]), 403)
        assert_problem(api.delete(f"/v1/tokens/{insurer['token_id']}"), 401)


class TestEndingASession:
    @pytest.mark.parametrize("role", ["patient", "insurer", "operator", "doctor"])
    def test_this_token_is_401_from_then_on(self, api: Api, role: str) -> None:
        token = minted(api, role)["token"]
        got = api.delete("/v1/sessions/current", token)
        assert got.status == 204
        assert got.body == b""
        assert_problem(works(api, role, token), 401)
        assert_problem(api.delete("/v1/sessions/current", token), 401)

    def test_a_device_that_signs_out_is_listed_revoked(self, api: Api) -> None:
        doctor = api.doctor()
        assistant = api.enrol(new_code(api, doctor, "assistant"))
        assert api.delete("/v1/sessions/current", assistant).status == 204
        listed = api.get("/v1/practice/devices", doctor).json["items"]
        assert sorted(d["revoked_at"] is None for d in listed) == [False, True]
        assert api.get("/v1/invoices", doctor).status == 200

    def test_without_a_token_is_401(self, api: Api) -> None:
        assert_problem(api.delete("/v1/sessions/current"), 401)


class TestRotation:
    @pytest.mark.parametrize(
        ("role", "lifetime"), [("insurer", timedelta(days=30)), ("doctor", timedelta(days=400))]
    )
    def test_old_is_401_new_works_with_a_full_lifetime(
        self, api: Api, fixed_clock: FixedClock, role: str, lifetime: timedelta
    ) -> None:
        old = minted(api, role)
        fixed_clock.advance(lifetime - timedelta(days=1))
        got = api.post("/v1/sessions/rotate", old["token"])
        assert got.status == 201, got.body
        assert set(got.json) == {"token", "token_id", "expires_at"}
        assert got.json["token_id"] != old["token_id"]
        assert datetime.fromisoformat(got.json["expires_at"]) == fixed_clock.now() + lifetime
        assert_problem(works(api, role, old["token"]), 401)
        assert_problem(api.post("/v1/sessions/rotate", old["token"]), 401)
        fixed_clock.advance(lifetime - timedelta(seconds=1))
        assert works(api, role, got.json["token"]).status == 200

    def test_a_rotated_device_is_still_revoked_by_its_practice(self, api: Api) -> None:
        doctor = api.doctor()
        enrolled = api.post(
            "/v1/devices", None, {"enrolment_code": new_code(api, doctor, "assistant"), "device_name": "PC"}
        )
        rotated = api.post("/v1/sessions/rotate", enrolled.json["token"]).json["token"]
        assert api.delete(f"/v1/practice/devices/{enrolled.json['device_id']}", doctor).status == 204
        assert_problem(api.get("/v1/invoices", rotated), 401)
        assert len(api.get("/v1/practice/devices", doctor).json["items"]) == 2

    @pytest.mark.parametrize("role", ["patient", "operator"])
    def test_people_do_not_rotate(self, api: Api, role: str) -> None:
        token = minted(api, role)["token"]
        assert_problem(api.post("/v1/sessions/rotate", token), 403)
        assert works(api, role, token).status in (200, 201)


class TestEnrolmentReplay:
    def enrol(self, api: Api, code: str, key: str | None = None, name: str = "PC") -> Answer:
        headers = {"Idempotency-Key": key} if key else None
        return api.post("/v1/devices", None, {"enrolment_code": code, "device_name": name}, headers=headers)

    @pytest.mark.parametrize(
        ("first_key", "replay_key"), [("k-1", "k-1"), ("k-1", "k-2"), (None, None), ("k-1", None)]
    )
    def test_a_used_code_is_409_whatever_the_key(
        self, api: Api, first_key: str | None, replay_key: str | None
    ) -> None:
        code = onboard(api)
        first = self.enrol(api, code, first_key)
        assert first.status == 201, first.body
        again = self.enrol(api, code, replay_key)
        assert_problem(again, 409)
        assert first.json["token"] not in again.body.decode()

    def test_no_answer_holding_the_token_is_kept(self, api: Api) -> None:
        self.enrol(api, onboard(api), "k-1")
        saved = boto3.client("dynamodb").scan(TableName=config.table_name("idempotency"))["Items"]
        assert saved == []

    def test_a_used_code_stays_409_after_it_would_have_expired(
        self, api: Api, fixed_clock: FixedClock
    ) -> None:
        code = onboard(api)
        assert self.enrol(api, code).status == 201
        fixed_clock.advance(timedelta(days=2))
        assert_problem(self.enrol(api, code, name="PC 2"), 409)

    def test_unknown_and_expired_codes_stay_422(self, api: Api, fixed_clock: FixedClock) -> None:
        assert field_errors(self.enrol(api, "AAAA-BBBB-CCCC-DDDD")) == ["enrolment_code"]
        code = onboard(api)
        fixed_clock.advance(timedelta(hours=24))
        assert field_errors(self.enrol(api, code, "k-1")) == ["enrolment_code"]
