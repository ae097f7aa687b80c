"""The vaccination booklet: a doctor's signed entries, a patient's or a guardian's declarations,
the booklet and its recommendations in JSON and FHIR, the PDF, and who may do each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.core import signing_keys
from chalicelib.domain import signed_token
from chalicelib.domain.signed_token import Kind
from chalicelib.store.journal import EntryItem
from chalicelib.store.outbox import OutboxEvent
from tests.api.conftest import ADULT, DOCTOR_CODE, Answer, Api
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_relatives import SPOUSE, STRANGER, link, linked
from tests.matricules import matricule

# Born on 1 October 2026: seven weeks old on the fixed clock's Monday 23 November 2026.
BABY = matricule("20261001")
HEXYON = {"code": "J07CA09", "name": "Hexyon"}
INFANT_TARGETS = ["diphtheria", "tetanus", "pertussis", "polio", "hib", "hepatitis_b"]
FHIR = "application/fhir+json"


def given(**fields: Any) -> dict[str, Any]:
    return {"vaccine": HEXYON, "targets": INFANT_TARGETS, "given_on": "2026-11-20", **fields}


def record(api: Api, doctor: str, number: str = BABY, **fields: Any) -> Answer:
    body = {"patient_matricule": number, "lot_number": "X4C21", "dose_number": 1, **given(**fields)}
    return api.post("/v1/vaccinations", doctor, body)


def declare(api: Api, token: str, for_: str | None = None, **fields: Any) -> Answer:
    query = f"?for={for_}" if for_ else ""
    return api.post(f"/v1/patient/vaccinations{query}", token, given(**fields))


def events(kind: str) -> list[OutboxEvent]:
    return sorted((e for e in OutboxEvent.scan() if e.type == kind), key=lambda e: e.event_id)


def journal_of(number: str) -> list[tuple[str, str, str | None]]:
    """The journal of `number`, but for the operator's registering them."""
    return sorted(
        (e.action, e.object_type, e.actor_id) for e in EntryItem.query(number) if e.actor_kind != "operator"
    )


@pytest.fixture
def family(api: Api) -> dict[str, str]:
    """A doctor, a parent who is the baby's guardian and has linked them, and the baby."""
    doctor = api.doctor()
    parent = api.patient(ADULT)
    baby_id = api.register(BABY, guardians=(ADULT,), name="Léa Schmit")
    linked(api, parent, BABY)
    return {"doctor": doctor, "parent": parent, "baby": baby_id}


# A doctor's entry: signed, in the vault, told


def test_a_doctors_entry_is_signed_lands_in_the_vault_and_is_told(api: Api, family: dict[str, str]) -> None:
    got = record(api, family["doctor"])
    assert got.status == 201, got.body
    entry = got.json
    assert entry["verified"] is True
    assert entry["patient_id"] == family["baby"]
    assert entry["recorded_by"] == {"kind": "practice", "id": DOCTOR_CODE, "name": "Dr Anne Weber"}
    assert (entry["given_on"], entry["dose_number"], entry["lot_number"]) == ("2026-11-20", 1, "X4C21")
    verified = signed_token.verify(Kind.VACCINATION, entry["qr"], signing_keys.verification_keys())
    assert verified.document_id == entry["id"]
    # The token names the entry and the day it was recorded, nothing of the baby or the vaccine.
    assert set(verified.claims) == {signed_token.Claim.DATE}

    documents = api.get(f"/v1/patient/documents?for={family['baby']}", family["parent"]).json["items"]
    assert [(d["id"], d["type"]) for d in documents] == [(entry["document_id"], "vaccination")]
    [recorded] = events("vaccination.recorded")
    assert (recorded.patient, recorded.data["vaccination_id"]) == (BABY, entry["id"])
    [received] = events("document.received")
    assert received.data["vaccination_id"] == entry["id"]
    for event in [recorded, received]:
        assert BABY not in json.dumps(event.data) and "Hexyon" not in json.dumps(event.data)


def test_a_doctors_entry_replays_under_its_idempotency_key(api: Api, family: dict[str, str]) -> None:
    body = {"patient_matricule": BABY, "lot_number": "X4C21", **given()}
    first = api.post("/v1/vaccinations", family["doctor"], body, headers={"idempotency-key": "k1"})
    again = api.post("/v1/vaccinations", family["doctor"], body, headers={"idempotency-key": "k1"})
    assert (first.status, again.status) == (201, 201)
    assert again.json == first.json
    assert len(api.get(f"/v1/patient/vaccinations?for={family['baby']}", family["parent"]).json["items"]) == 1


@pytest.mark.parametrize(
    ("module", "name"),
    [("chalicelib.store.vault", "publish"), ("chalicelib.api.vaccinations", "vaccination_json")],
)
def test_a_doctors_entry_retried_after_a_crash_is_the_first_one(
    api: Api, family: dict[str, str], monkeypatch: pytest.MonkeyPatch, module: str, name: str
) -> None:
    import importlib

    from tests.api.test_crash_safety import crash_once, objects

    crash_once(monkeypatch, importlib.import_module(module), name)
    body = {"patient_matricule": BABY, "lot_number": "X4C21", **given()}
    key = {"idempotency-key": "vac-crash"}
    assert api.post("/v1/vaccinations", family["doctor"], body, headers=key).status == 500
    retried = api.post("/v1/vaccinations", family["doctor"], body, headers=key)
    assert retried.status == 201, retried.body
    listed = api.get(f"/v1/patient/vaccinations?for={family['baby']}", family["parent"]).json["items"]
    assert [entry["id"] for entry in listed] == [retried.json["id"]]
    assert len(events("vaccination.recorded")) == 1
    # The committed copy is in place once, whichever step the first request died at.
    assert objects("documents/") == [f"documents/{retried.json['document_id']}.pdf"]


def test_a_declaration_retried_after_a_crash_is_the_first_one(
    api: Api, family: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import chalicelib.api.vaccinations as blueprint
    from tests.api.test_crash_safety import crash_once

    crash_once(monkeypatch, blueprint, "vaccination_json")
    path = f"/v1/patient/vaccinations?for={family['baby']}"
    key = {"idempotency-key": "declared-once"}
    assert api.post(path, family["parent"], given(), headers=key).status == 500
    retried = api.post(path, family["parent"], given(), headers=key)
    assert retried.status == 201, retried.body
    listed = api.get(path, family["parent"]).json["items"]
    assert [entry["id"] for entry in listed] == [retried.json["id"]]
    assert len(events("vaccination.recorded")) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"given_on": "2026-11-24"}, "given_on"),
        ({"given_on": "2026-09-30"}, "given_on"),
        ({"targets": []}, "targets"),
        ({"targets": ["tetanus", "tetanus"]}, "targets"),
        ({"targets": ["smallpox"]}, "targets[0]"),
        ({"vaccine": {"code": "A01", "name": "Hexyon"}}, "vaccine.code"),
        ({"dose_number": 0}, "dose_number"),
        ({"given_on": "24/11/2026"}, "given_on"),
    ],
)
def test_a_doctors_entry_breaking_a_rule_is_422_naming_the_field(
    api: Api, family: dict[str, str], fields: dict[str, Any], field: str
) -> None:
    got = record(api, family["doctor"], **fields)
    assert field in field_errors(got)
    assert events("vaccination.recorded") == []


def test_a_doctor_records_only_for_a_registered_patient(api: Api, family: dict[str, str]) -> None:
    assert field_errors(record(api, family["doctor"], matricule("20200202"))) == ["patient_matricule"]


def test_only_a_doctor_records(api: Api, family: dict[str, str]) -> None:
    code = api.post("/v1/practice/enrolment-codes", family["doctor"], {"role": "assistant"}).json
    assert_problem(record(api, api.enrol(code["enrolment_code"])), 403)
    assert_problem(record(api, family["parent"]), 403)
    assert_problem(record(api, "not-a-token"), 401)
    assert_problem(record(api, ""), 401)


# The patient's side: declarations, the booklet, who may act for whom


def test_a_patient_declares_an_unverified_entry_with_no_token_and_no_vault_copy(
    api: Api, family: dict[str, str]
) -> None:
    got = declare(api, family["parent"])
    assert got.status == 201, got.body
    assert (got.json["verified"], got.json["qr"], got.json["document_id"]) == (False, None, None)
    assert got.json["recorded_by"]["kind"] == "patient"
    assert api.get("/v1/patient/documents", family["parent"]).json["items"] == []
    # A patient's own declaration is no access by someone else.
    assert journal_of(ADULT) == []


def test_a_guardian_declares_for_the_child_and_it_is_journaled(api: Api, family: dict[str, str]) -> None:
    got = declare(api, family["parent"], family["baby"])
    assert got.status == 201, got.body
    assert got.json["patient_id"] == family["baby"]
    parent_id = api.ids[ADULT]
    assert got.json["recorded_by"] == {"kind": "patient", "id": parent_id, "name": "Marie Schmit"}
    assert journal_of(BABY) == [("relative.read", "vaccination", parent_id)]


def test_the_booklet_lists_newest_given_on_first(api: Api, family: dict[str, str]) -> None:
    for day in ["2026-10-05", "2026-11-20", "2026-10-20"]:
        assert declare(api, family["parent"], family["baby"], given_on=day).status == 201
    got = api.get(f"/v1/patient/vaccinations?for={family['baby']}", family["parent"])
    assert got.status == 200, got.body
    assert [i["given_on"] for i in got.json["items"]] == ["2026-11-20", "2026-10-20", "2026-10-05"]
    assert ("relative.read", "vaccination", api.ids[ADULT]) in journal_of(BABY)


def test_someone_without_authority_may_not_act_for_the_child(api: Api, family: dict[str, str]) -> None:
    stranger = api.patient(STRANGER)
    # An adult relative may act for the parent once accepted, but holds no authority over the baby.
    spouse = api.patient(SPOUSE)
    pending = link(api, spouse, BABY)
    assert pending.status == 403, pending.body
    for token in [stranger, spouse]:
        assert_problem(declare(api, token, family["baby"]), 403)
        for path in ["", "/recommendations", "/booklet.pdf"]:
            got = api.get(
                f"/v1/patient/vaccinations{path}?for={family['baby']}", token, headers={"accept": "*/*"}
            )
            assert_problem(got, 403)
    assert_problem(api.get("/v1/patient/vaccinations?for=pat_01JD5Z7H2K4M6N8P0Q2R4S6T8V", stranger), 403)
    assert field_errors(api.get("/v1/patient/vaccinations?for=1893120105732", stranger)) == ["for"]


def test_a_pending_adult_link_opens_nothing(api: Api, family: dict[str, str]) -> None:
    spouse = api.patient(SPOUSE)
    linked(api, family["parent"], SPOUSE, "spouse")  # asked, never accepted
    assert_problem(api.get(f"/v1/patient/vaccinations?for={api.ids[SPOUSE]}", family["parent"]), 403)
    assert api.get("/v1/patient/vaccinations", spouse).status == 200


def test_the_patient_routes_are_for_patients(api: Api, family: dict[str, str]) -> None:
    insurer = api.insurer()
    for path in ["", "/recommendations"]:
        assert_problem(api.get(f"/v1/patient/vaccinations{path}", family["doctor"]), 403)
        assert_problem(api.get(f"/v1/patient/vaccinations{path}", insurer), 403)
        assert_problem(api.get(f"/v1/patient/vaccinations{path}"), 401)
    assert_problem(declare(api, family["doctor"]), 403)


# FHIR, recommendations, the PDF


def test_the_booklet_in_fhir_is_a_bundle_of_immunization(api: Api, family: dict[str, str]) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.immunization import Immunization

    signed = record(api, family["doctor"]).json
    declared = declare(api, family["parent"], family["baby"], given_on="2026-10-02").json
    got = api.get(
        f"/v1/patient/vaccinations?for={family['baby']}", family["parent"], headers={"accept": FHIR}
    )
    assert got.status == 200, got.body
    assert got.headers["content-type"] == FHIR
    # fhir.resources parses it back, each entry as an Immunization; the checks read the JSON.
    bundle = Bundle.model_validate_json(got.body)
    for entry in bundle.entry or []:
        assert isinstance(entry.resource, Immunization)
    assert (bundle.type, bundle.total) == ("searchset", 2)
    first, second = (entry["resource"] for entry in got.json["entry"])
    assert [i["identifier"][0]["value"] for i in (first, second)] == [signed["id"], declared["id"]]
    assert first["patient"]["identifier"]["value"] == family["baby"]
    assert (first["primarySource"], second["primarySource"]) == (True, False)
    assert second["reportOrigin"]["coding"][0]["code"] == "recall"
    assert first["vaccineCode"]["coding"][0]["code"] == "J07CA09"
    assert (first["occurrenceDateTime"], first["lotNumber"]) == ("2026-11-20", "X4C21")
    applied = first["protocolApplied"][0]
    assert [t["coding"][0]["code"] for t in applied["targetDisease"]] == INFANT_TARGETS
    assert applied["doseNumberPositiveInt"] == 1
    assert BABY not in got.body.decode()
    # JSON stays the answer of anyone who does not prefer FHIR.
    for accept in ["*/*", "application/json", f"application/json, {FHIR};q=0.5"]:
        plain = api.get(
            f"/v1/patient/vaccinations?for={family['baby']}", family["parent"], headers={"accept": accept}
        )
        assert plain.headers["content-type"] == "application/json"


def test_recommendations_follow_the_schedule_in_json_and_fhir(api: Api, family: dict[str, str]) -> None:
    from fhir.resources.R4B.immunizationrecommendation import ImmunizationRecommendation

    got = api.get(f"/v1/patient/vaccinations/recommendations?for={family['baby']}", family["parent"])
    assert got.status == 200, got.body
    assert got.json["schedule_version"] == "LU-2026.1"
    hexavalent = [i for i in got.json["items"] if i["rule"] == "hexavalent-infant"]
    assert {i["target"] for i in hexavalent} == set(INFANT_TARGETS)
    assert {(i["dose"], i["status"], i["earliest_on"], i["due_on"], i["overdue_on"]) for i in hexavalent} == {
        (1, "upcoming", "2026-11-12", "2026-12-01", "2027-01-01")
    }
    # A dose given counts: the next one is the second, four weeks on at the earliest.
    assert record(api, family["doctor"]).status == 201
    after = api.get(f"/v1/patient/vaccinations/recommendations?for={family['baby']}", family["parent"]).json
    tetanus = next(i for i in after["items"] if i["rule"] == "hexavalent-infant" and i["target"] == "tetanus")
    assert (tetanus["dose"], tetanus["earliest_on"], tetanus["due_on"]) == (2, "2026-12-18", "2027-02-01")

    fhir = api.get(
        f"/v1/patient/vaccinations/recommendations?for={family['baby']}",
        family["parent"],
        headers={"accept": FHIR},
    )
    assert fhir.headers["content-type"] == FHIR
    ImmunizationRecommendation.model_validate_json(fhir.body)
    resource = fhir.json
    assert resource["patient"]["identifier"]["value"] == family["baby"]
    assert len(resource["recommendation"]) == len(after["items"])
    first = resource["recommendation"][0]
    assert (first["series"], first["forecastStatus"]["text"]) == (after["items"][0]["rule"], "upcoming")
    assert [c["value"] for c in first["dateCriterion"]] == [
        after["items"][0][name] for name in ("earliest_on", "due_on", "overdue_on")
    ]


def test_the_booklet_prints_as_an_a4_pdf(api: Api, family: dict[str, str]) -> None:
    import pypdfium2

    assert record(api, family["doctor"]).status == 201
    path = f"/v1/patient/vaccinations/booklet.pdf?for={family['baby']}"
    got = api.get(path, family["parent"], headers={"accept": "application/pdf"})
    assert got.status == 200, got.body
    assert got.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(got.body)
    width, height = document[0].get_size()
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)
    text = document[0].get_textpage().get_text_range()
    assert "Carnet de vaccination" in text and "Léa Schmit" in text and "Hexyon" in text
    assert_problem(api.get(path, family["parent"]), 406)


# A practice reads the booklet under the care record's rules


def search(api: Api, token: str, number: str = BABY) -> Answer:
    return api.post("/v1/records/vaccinations/search", token, {"matricule": number})


def test_a_practice_with_care_reads_the_booklet_journaled_as_a_vaccination_read(
    api: Api, family: dict[str, str]
) -> None:
    made = record(api, family["doctor"]).json
    # Recording a vaccination makes no care relationship; an invoice does.
    assert_problem(search(api, family["doctor"]), 403)
    assert ("vaccination.read", "vaccination", DOCTOR_CODE) not in journal_of(BABY)
    assert api.invoice(family["doctor"], BABY).status == 201
    got = search(api, family["doctor"])
    assert got.status == 200, got.body
    assert got.json["patient_id"] == family["baby"]
    assert [entry["id"] for entry in got.json["items"]] == [made["id"]]
    recommendations = got.json["recommendations"]
    assert recommendations["schedule_version"] == "LU-2026.1"
    assert any(i["rule"] == "hexavalent-infant" and i["dose"] == 2 for i in recommendations["items"])
    assert ("vaccination.read", "vaccination", DOCTOR_CODE) in journal_of(BABY)


def test_an_entry_the_patient_hid_is_left_out_for_the_practice(api: Api, family: dict[str, str]) -> None:
    made = record(api, family["doctor"]).json
    assert api.invoice(family["doctor"], BABY).status == 201
    other = api.doctor("876543-21", "Dr Paul Klein")
    assert api.invoice(other, BABY).status == 201
    baby = api.login(BABY)
    assert api.post(f"/v1/patient/documents/{made['document_id']}/hide", baby).status == 200
    # Hidden: its author alone still sees it.
    assert [e["id"] for e in search(api, family["doctor"]).json["items"]] == [made["id"]]
    assert search(api, other).json["items"] == []


def test_a_booklet_read_through_an_emergency_window_is_journaled_as_one(
    api: Api, family: dict[str, str]
) -> None:
    record(api, family["doctor"])
    opened = api.post(
        "/v1/records/search",
        family["doctor"],
        {"matricule": BABY, "emergency": {"reason": "enfant inconscient aux urgences"}},
    )
    assert opened.status == 200, opened.body
    assert search(api, family["doctor"]).status == 200
    [read] = [e for e in EntryItem.query(BABY) if e.action == "vaccination.read"]
    assert read.emergency


def test_a_practice_without_a_right_or_a_patient_not_registered_is_403(
    api: Api, family: dict[str, str]
) -> None:
    other = api.doctor("876543-21", "Dr Paul Klein")
    assert api.invoice(family["doctor"], BABY).status == 201
    assert_problem(search(api, other), 403)
    assert_problem(search(api, family["doctor"], matricule("20200202")), 403)
    assert_problem(search(api, family["parent"]), 403)
    assert field_errors(api.post("/v1/records/vaccinations/search", family["doctor"], {})) == ["matricule"]
