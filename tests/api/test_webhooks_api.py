"""The webhook endpoint routes: who may register, what is shown, and which URLs pass."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from chalicelib.core import outbound, sealing
from chalicelib.store import webhooks
from tests.api.conftest import ADULT, Api

URL = "http://127.0.0.1:9/hooks"
OTHER = "1990010112385"


def register(api: Api, token: str, body: object) -> dict[str, object]:
    made = api.post("/v1/webhooks", token, body)
    assert made.status == 201, made.body
    return dict(made.json)


def test_patient_registers_lists_and_deletes(api: Api) -> None:
    token = api.patient()
    made = register(api, token, {"url": URL, "events": ["invoice.issued", "claim.decided"]})
    assert str(made["id"]).startswith("whk_")
    assert str(made["secret"]).startswith("whsec_")
    assert made["events"] == ["claim.decided", "invoice.issued"]
    assert made["status"] == "active"

    listed = api.get("/v1/webhooks", token)
    assert listed.status == 200
    assert [e["id"] for e in listed.json["items"]] == [made["id"]]
    assert "secret" not in listed.json["items"][0]

    assert api.delete(f"/v1/webhooks/{made['id']}", token).status == 204
    assert api.get("/v1/webhooks", token).json["items"] == []
    assert api.delete(f"/v1/webhooks/{made['id']}", token).status == 404


def test_secret_is_stored_sealed(api: Api) -> None:
    made = register(api, api.patient(), {"url": URL})
    stored = webhooks.get_endpoint(str(made["id"]))
    assert stored is not None
    assert str(made["secret"]) not in stored.sealed_secret
    assert sealing.unseal(stored.sealed_secret, stored.endpoint_id) == made["secret"]


def test_another_owners_endpoint_is_not_found(api: Api) -> None:
    mine = register(api, api.patient(), {"url": URL})
    theirs = api.patient(OTHER)
    doctor = api.doctor()
    for token in (theirs, doctor):
        assert api.get(f"/v1/webhooks/{mine['id']}/deliveries", token).status == 404
        assert api.delete(f"/v1/webhooks/{mine['id']}", token).status == 404
        assert api.get("/v1/webhooks", token).json["items"] == []
    assert api.get("/v1/webhooks/whk_nonsense/deliveries", theirs).status == 404


def test_doctor_registers_but_assistant_and_insurer_may_not(api: Api) -> None:
    doctor = api.doctor()
    assert register(api, doctor, {"url": URL})["events"] is None
    code = api.post("/v1/practice/enrolment-codes", doctor, {"role": "assistant"})
    assistant = api.enrol(code.json["enrolment_code"], "Accueil")
    assert api.post("/v1/webhooks", assistant, {"url": URL}).status == 403
    assert api.post("/v1/webhooks", api.insurer(), {"url": URL}).status == 403
    assert api.post("/v1/webhooks", None, {"url": URL}).status == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://127.0.0.1/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://user:pw@127.0.0.1/x"}, "url"),
        ({"url": "http://10.1.2.3/x"}, "url"),
        ({"url": "http://[::1"}, "url"),
        ({}, "url"),
        ({"url": URL, "events": ["invoice.paid"]}, "events[0]"),
        ({"url": URL, "events": []}, "events"),
    ],
)
def test_bad_endpoints_are_422_naming_the_field(api: Api, body: object, field: str) -> None:
    got = api.post("/v1/webhooks", api.patient(), body)
    assert got.status == 422, got.body
    assert [e["field"] for e in got.json["errors"]] == [field]


def test_outside_the_local_stage_only_https_to_public_addresses(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = api.patient()
    monkeypatch.setenv("DHN_STAGE", "prod")
    monkeypatch.setenv("DHN_RESOURCE_PREFIX", "dhn-test")
    names = {
        "hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "intranet.example.com": ["10.0.0.7"],
        "mixed.example.com": ["93.184.215.14", "169.254.169.254"],
        "sneaky.example.com": ["::ffff:127.0.0.1"],
    }
    monkeypatch.setattr(outbound, "resolve", lambda host, _port: names.get(host) or [host])
    assert api.post("/v1/webhooks", token, {"url": "https://hooks.example.com/dhn"}).status == 201
    for url in (
        URL,
        "http://hooks.example.com/dhn",
        "https://intranet.example.com/",
        "https://mixed.example.com/",
        "https://sneaky.example.com/",
        "https://127.0.0.1/",
        "https://[fe80::1]/",
    ):
        got = api.post("/v1/webhooks", token, {"url": url})
        assert got.status == 422, url
        assert got.json["errors"][0]["field"] == "url"


def test_an_unresolvable_host_is_refused(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    monkeypatch.setattr(outbound, "resolve", fail)
    got = api.post("/v1/webhooks", api.patient(ADULT), {"url": "https://nowhere.invalid/"})
    assert got.status == 422
    assert "does not resolve" in got.json["errors"][0]["message"]


def test_a_host_whose_resolver_hangs_is_refused_in_time(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    token = api.patient(ADULT)
    release = threading.Event()

    def hang(*args: object, **kwargs: object) -> list[object]:
        release.wait()
        raise socket.gaierror("released")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    monkeypatch.setattr(outbound, "RESOLVE_SECONDS", 0.2)
    started = time.monotonic()
    try:
        got = api.post("/v1/webhooks", token, {"url": "https://slow-dns.example/"})
    finally:
        release.set()
    assert time.monotonic() - started < 2
    assert got.status == 422
    assert got.json["errors"][0]["message"] == "the host did not resolve in time"


def test_at_most_ten_endpoints(api: Api) -> None:
    token = api.patient()
    for _ in range(10):
        register(api, token, {"url": URL})
    assert api.post("/v1/webhooks", token, {"url": URL}).status == 409


def test_a_repeated_registration_with_the_same_key_makes_one_endpoint(api: Api) -> None:
    token = api.patient()
    key = {"Idempotency-Key": "register-1"}
    first = api.post("/v1/webhooks", token, {"url": URL}, headers=key)
    again = api.post("/v1/webhooks", token, {"url": URL}, headers=key)
    assert first.status == again.status == 201
    assert first.json == again.json
    assert len(api.get("/v1/webhooks", token).json["items"]) == 1


def test_endpoints_are_listed_in_pages(api: Api) -> None:
    token = api.patient()
    made = [register(api, token, {"url": URL})["id"] for _ in range(3)]
    first = api.get("/v1/webhooks?limit=2", token).json
    rest = api.get(f"/v1/webhooks?limit=2&cursor={first['next_cursor']}", token).json
    assert [e["id"] for e in first["items"] + rest["items"]] == made
    assert rest["next_cursor"] is None
