"""Prescriptions under moto: a doctor prescribes, the patient (or a relative) reads it with its
QR code, one pharmacy at a time accepts, dispenses and closes it or hands it back, the doctor
cancels one nobody holds, and every refusal is the status the contract names."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core.clock import FixedClock
from chalicelib.domain import prescription_token
from chalicelib.store.journal import EntryItem
from chalicelib.store.outbox import OutboxEvent
from tests.api.conftest import ADULT, DOCTOR_CODE, OPERATOR, Answer, Api
from tests.api.test_conventions import assert_problem, field_errors

PHARMACY = "412345"
OTHER_PHARMACY = "498765"
PARACETAMOL = {"code": "0012345", "name": "Paracétamol 500 mg, 20 comprimés"}
AMOXICILLIN = {"code": "0034567", "name": "Amoxicilline 1 g, 12 comprimés"}
ITEMS = [
    {
        "medication": PARACETAMOL,
        "quantity": 2,
        "dosage": "1 comprimé 3 fois par jour",
        "substitution_allowed": True,
    },
    {
        "medication": {"name": "Préparation magistrale"},
        "quantity": 1,
        "dosage": "application locale",
        "substitution_allowed": False,
    },
]


def pharmacy(api: Api, code: str = PHARMACY, name: str = "Pharmacie du Globe") -> str:
    """Register a pharmacy and enrol its first PC; the PC's token."""
    made = api.post("/v1/pharmacies", OPERATOR, {"pharmacy_code": code, "name": name})
    assert made.status == 201, made.body
    enrolled = api.post(
        "/v1/devices", None, {"enrolment_code": made.json["enrolment_code"], "device_name": "Caisse"}
    )
    assert enrolled.status == 201, enrolled.body
    return str(enrolled.json["token"])


def prescribe(api: Api, doctor: str, matricule: str = ADULT, **fields: Any) -> Answer:
    body = {"patient_matricule": matricule, "items": ITEMS, "repeats": 0, **fields}
    return api.post("/v1/prescriptions", doctor, body)


def prescribed(api: Api, doctor: str, **fields: Any) -> dict[str, Any]:
    made = prescribe(api, doctor, **fields)
    assert made.status == 201, made.body
    return dict(made.json)


def accept(api: Api, token: str, qr: str) -> Answer:
    return api.post("/v1/pharmacy/prescriptions/accept", token, {"qr": qr})


def step(api: Api, token: str, rx: str, action: str, body: dict[str, Any]) -> Answer:
    return api.post(f"/v1/pharmacy/prescriptions/{rx}/{action}", token, body)


def dispensed_one(api: Api, world: dict[str, str]) -> tuple[dict[str, Any], str]:
    """A prescription the world's pharmacy holds and has handed one pack of, and its secret."""
    made = prescribed(api, world["doctor"])
    secret = accept(api, world["pharmacy"], made["qr"]).json["secret"]
    given = step(
        api,
        world["pharmacy"],
        made["id"],
        "dispense",
        {"secret": secret, "items": [{"index": 0, "quantity": 1}]},
    )
    assert given.status == 200, given.body
    return made, secret


def events(kind: str) -> list[OutboxEvent]:
    return sorted((e for e in OutboxEvent.scan() if e.type == kind), key=lambda e: e.event_id)


@pytest.fixture
def world(api: Api) -> dict[str, str]:
    return {"doctor": api.doctor(), "patient": api.patient(), "pharmacy": pharmacy(api)}


# Onboarding


def test_a_pharmacy_enrols_its_pcs_as_pharmacists(api: Api) -> None:
    made = api.post("/v1/pharmacies", OPERATOR, {"pharmacy_code": PHARMACY, "name": "Pharmacie du Globe"})
    assert made.status == 201, made.body
    assert made.json["pharmacy_code"] == PHARMACY
    enrolled = api.post(
        "/v1/devices", None, {"enrolment_code": made.json["enrolment_code"], "device_name": "PC"}
    )
    assert enrolled.status == 201, enrolled.body
    assert enrolled.json["role"] == "pharmacist"
    assert enrolled.json["pharmacy_code"] == PHARMACY
    assert "doctor_code" not in enrolled.json
    again = api.post("/v1/pharmacies", OPERATOR, {"pharmacy_code": PHARMACY, "name": "Autre"})
    assert again.status == 409
    bad = api.post("/v1/pharmacies", OPERATOR, {"pharmacy_code": "12345", "name": "X"})
    assert field_errors(bad) == ["pharmacy_code"]
    token = enrolled.json["token"]
    # A pharmacist reaches no practice route, and signs out like any device.
    assert api.get("/v1/invoices", token).status == 403
    assert api.post("/v1/sessions/rotate", token).status == 201


def test_an_operator_revokes_a_lost_pharmacy_pc(api: Api) -> None:
    made = api.post("/v1/pharmacies", OPERATOR, {"pharmacy_code": PHARMACY, "name": "Pharmacie du Globe"})
    enrolled = api.post(
        "/v1/devices", None, {"enrolment_code": made.json["enrolment_code"], "device_name": "PC"}
    )
    assert api.delete(f"/v1/tokens/{enrolled.json['token_id']}", OPERATOR).status == 204
    assert (
        api.post("/v1/pharmacy/prescriptions/accept", enrolled.json["token"], {"qr": "DHN1:x"}).status == 401
    )


# Prescribing


def test_a_doctor_prescribes_and_the_patient_is_told(api: Api, world: dict[str, str]) -> None:
    made = prescribed(api, world["doctor"], repeats=2, valid_days=30)
    assert made["id"].startswith("rx_")
    assert (made["status"], made["repeats"], made["repeats_left"]) == ("ready", 2, 2)
    assert made["expires_on"] == "2026-12-23"
    assert made["items"][0]["medication"] == PARACETAMOL
    assert made["items"][1]["medication"] == {"code": None, "name": "Préparation magistrale"}
    assert made["links"]["pdf"] == f"/v1/prescriptions/{made['id']}/pdf"
    assert made["patient_id"] == api.ids[ADULT]
    [issued] = events("prescription.issued")
    assert issued.patient == ADULT
    assert issued.data["prescription_id"] == made["id"]
    [received] = events("document.received")
    assert received.data == {
        "document_id": made["document_id"],
        "type": "prescription",
        "prescription_id": made["id"],
    }
    documents = api.get("/v1/patient/documents?type=prescription", world["patient"]).json["items"]
    assert [d["id"] for d in documents] == [made["document_id"]]
    assert documents[0]["title"] == "Ordonnance du 23/11/2026"


def test_the_qr_code_names_only_the_prescription_and_an_access_code(api: Api, world: dict[str, str]) -> None:
    from chalicelib.core import signing_keys

    made = prescribed(api, world["doctor"])
    claims = prescription_token.decode_prescription(made["qr"], signing_keys.verification_keys())
    assert claims.prescription_id == made["id"]
    assert claims.access_code.bit_length() > 64  # 128 random bits, so all but never this short
    raw = base64.b64encode(made["qr"].encode()).decode()
    for personal in (ADULT, "Marie", "Paracétamol", "0012345"):
        assert personal not in made["qr"] and personal not in raw
    for event in [*events("prescription.issued"), *events("document.received")]:
        text = str(event.data)
        assert ADULT not in text and "Paracétamol" not in text and "Marie" not in text


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"items": []}, "items"),
        ({"items": ITEMS * 6}, "items"),
        ({"repeats": 6}, "repeats"),
        ({"valid_days": 0}, "valid_days"),
        ({"valid_days": 91}, "valid_days"),
        ({"items": [{**ITEMS[0], "quantity": 11}]}, "items[0].quantity"),
        (
            {"items": [{**ITEMS[0], "medication": {"code": "9999999", "name": "X"}}]},
            "items[0].medication.code",
        ),
        # Amoxicillin is no "R" medicine: it cannot be repeated.
        (
            {"items": [ITEMS[0], {**ITEMS[0], "medication": AMOXICILLIN}], "repeats": 1},
            "items[1].medication.code",
        ),
        ({"patient_matricule": "1990010100324"}, "patient_matricule"),
    ],
)
def test_a_prescription_that_breaks_a_rule_is_422_naming_the_field(
    api: Api, world: dict[str, str], fields: dict[str, Any], field: str
) -> None:
    got = prescribe(api, world["doctor"], **fields)
    assert_problem(got, 422)
    assert field_errors(got) == [field]
    assert events("prescription.issued") == []


def test_assistants_and_pharmacists_cannot_prescribe(api: Api, world: dict[str, str]) -> None:
    code = api.post("/v1/practice/enrolment-codes", world["doctor"], {"role": "assistant"}).json
    assistant = api.enrol(code["enrolment_code"], "Accueil")
    assert prescribe(api, assistant).status == 403
    assert prescribe(api, world["pharmacy"]).status == 403
    assert prescribe(api, world["patient"]).status == 403


def test_creation_honours_the_idempotency_key(api: Api, world: dict[str, str]) -> None:
    body = {"patient_matricule": ADULT, "items": ITEMS, "repeats": 0}
    key = {"idempotency-key": "rx-1"}
    first = api.post("/v1/prescriptions", world["doctor"], body, headers=key)
    second = api.post("/v1/prescriptions", world["doctor"], body, headers=key)
    assert (first.status, second.status) == (201, 201)
    assert first.json == second.json
    assert len(events("prescription.issued")) == 1
    other = api.post("/v1/prescriptions", world["doctor"], {**body, "repeats": 1}, headers=key)
    assert other.status == 422


@pytest.mark.parametrize(
    ("module", "name"),
    [("chalicelib.store.vault", "publish"), ("chalicelib.api.prescriptions", "prescription_json")],
)
def test_a_prescription_retried_after_a_crash_is_the_first_one(
    api: Api, world: dict[str, str], monkeypatch: pytest.MonkeyPatch, module: str, name: str
) -> None:
    import importlib

    from tests.api.test_crash_safety import crash_once, objects

    crash_once(monkeypatch, importlib.import_module(module), name)
    body = {"patient_matricule": ADULT, "items": ITEMS, "repeats": 0}
    key = {"idempotency-key": "rx-crash"}
    assert api.post("/v1/prescriptions", world["doctor"], body, headers=key).status == 500
    retried = api.post("/v1/prescriptions", world["doctor"], body, headers=key)
    assert retried.status == 201, retried.body
    assert api.get("/v1/prescriptions", world["doctor"]).json["items"] == [retried.json]
    assert len(events("prescription.issued")) == 1
    # The committed copy is in place once, whichever step the first request died at.
    assert objects("documents/") == [f"documents/{retried.json['document_id']}.pdf"]


def test_the_practice_reads_lists_and_prints_its_prescriptions(api: Api, world: dict[str, str]) -> None:
    first, second = prescribed(api, world["doctor"]), prescribed(api, world["doctor"])
    got = api.get(f"/v1/prescriptions/{first['id']}", world["doctor"])
    assert got.status == 200 and got.json == first
    listed = api.get(f"/v1/prescriptions?patient_id={api.ids[ADULT]}", world["doctor"]).json["items"]
    assert [p["id"] for p in listed] == [second["id"], first["id"]]
    journaled = {e.object_id for e in EntryItem.query(ADULT) if e.action == "document.read"}
    assert {first["id"], second["id"]} <= journaled
    assert api.get("/v1/prescriptions?status=cancelled", world["doctor"]).json["items"] == []
    nobody = "pat_01M83VVAE0J6TC7MHS3KXVYQ8Y"
    assert api.get(f"/v1/prescriptions?patient_id={nobody}", world["doctor"]).json["items"] == []
    pdf = api.get(
        f"/v1/prescriptions/{first['id']}/pdf", world["doctor"], headers={"accept": "application/pdf"}
    )
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF")
    other = api.doctor("654321-09", "Dr Paul Klein")
    assert api.get(f"/v1/prescriptions/{first['id']}", other).status == 404
    assert api.get("/v1/prescriptions/rx_01M83VVAE0J6TC7MHS3KXVYQ8Y", world["doctor"]).status == 404
    assert api.get("/v1/prescriptions", other).json["items"] == []


# The patient


def test_the_patient_and_a_relative_see_it_with_its_qr(api: Api, world: dict[str, str]) -> None:
    made = prescribed(api, world["doctor"])
    mine = api.get("/v1/patient/prescriptions", world["patient"]).json["items"]
    assert [(p["id"], p["qr"]) for p in mine] == [(made["id"], made["qr"])]
    assert mine[0]["doctor"] == {"doctor_code": DOCTOR_CODE, "name": "Dr Anne Weber"}
    one = api.get(f"/v1/patient/prescriptions/{made['id']}", world["patient"])
    assert one.status == 200 and one.json == mine[0]
    relative = api.patient("1985030400267")
    asked = api.post("/v1/patient/relatives", relative, {"matricule": ADULT, "relationship": "spouse"})
    assert api.post(f"/v1/patient/relatives/{asked.json['link_id']}/accept", world["patient"]).status == 200
    patient_id = api.ids[ADULT]
    theirs = api.get(f"/v1/patient/prescriptions?for={patient_id}", relative).json["items"]
    assert [p["id"] for p in theirs] == [made["id"]]
    assert api.get(f"/v1/patient/prescriptions/{made['id']}?for={patient_id}", relative).status == 200
    # Without `for=` the relative reads their own, which this is not.
    assert api.get(f"/v1/patient/prescriptions/{made['id']}", relative).status == 404
    assert api.get("/v1/patient/prescriptions?status=completed", world["patient"]).json["items"] == []
    stranger = api.patient("1990010100324")
    assert api.get(f"/v1/patient/prescriptions?for={patient_id}", stranger).status == 403


# The pharmacy


def test_accept_dispense_close_with_a_signed_receipt(
    api: Api, world: dict[str, str], fixed_clock: FixedClock
) -> None:
    from chalicelib.core import signing_keys

    made = prescribed(api, world["doctor"])
    accepted = accept(api, world["pharmacy"], made["qr"])
    assert accepted.status == 200, accepted.body
    held = accepted.json["prescription"]
    assert (held["id"], held["status"]) == (made["id"], "in_progress")
    assert held["patient"] == {"name": "Marie Schmit", "birth_date": "1893-12-01"}
    assert held["items"] == made["items"]
    secret = accepted.json["secret"]
    assert len(secret) >= 43

    given = step(
        api,
        world["pharmacy"],
        made["id"],
        "dispense",
        {"secret": secret, "items": [{"index": 0, "quantity": 1}]},
    )
    assert given.status == 200, given.body
    assert given.json["dispensed"] == [{"index": 0, "quantity": 1, "substituted_with": None}]
    more = {
        "secret": secret,
        "items": [
            {"index": 0, "quantity": 1, "substituted_with": {"name": "Dafalgan 500 mg"}},
            {"index": 1, "quantity": 1},
        ],
    }
    assert step(api, world["pharmacy"], made["id"], "dispense", more).status == 200

    fixed_clock.advance(timedelta(minutes=5))
    closed = step(api, world["pharmacy"], made["id"], "close", {"secret": secret})
    assert closed.status == 200, closed.body
    assert (closed.json["status"], closed.json["repeats_left"]) == ("completed", 0)
    receipt = prescription_token.decode_receipt(closed.json["receipt"], signing_keys.verification_keys())
    assert (receipt.prescription_id, receipt.pharmacy_code, receipt.round) == (made["id"], PHARMACY, 1)
    assert receipt.closed_at == int(fixed_clock.now().timestamp())
    [dispensed] = events("prescription.dispensed")
    assert dispensed.patient == ADULT
    assert dispensed.data["prescription_id"] == made["id"]
    assert ADULT not in str(dispensed.data) and "Paracétamol" not in str(dispensed.data)

    # Dispensed once: the secret is void, and no pharmacy accepts it again.
    assert step(api, world["pharmacy"], made["id"], "close", {"secret": secret}).status == 403
    assert accept(api, world["pharmacy"], made["qr"]).status == 409
    assert api.get(f"/v1/prescriptions/{made['id']}", world["doctor"]).json["status"] == "completed"


def test_a_repeat_is_dispensed_once_per_round_up_to_its_repeats(api: Api, world: dict[str, str]) -> None:
    made = prescribed(api, world["doctor"], repeats=2)
    pharmacies = [world["pharmacy"], pharmacy(api, OTHER_PHARMACY, "Pharmacie de la Gare")]
    statuses = []
    for n in range(3):
        token = pharmacies[n % 2]
        accepted = accept(api, token, made["qr"])
        assert accepted.status == 200, accepted.body
        secret = accepted.json["secret"]
        items = {"secret": secret, "items": [{"index": 0, "quantity": 2}]}
        assert step(api, token, made["id"], "dispense", items).status == 200
        # Never more than prescribed within one dispensing.
        over = step(
            api, token, made["id"], "dispense", {"secret": secret, "items": [{"index": 0, "quantity": 1}]}
        )
        assert_problem(over, 422)
        assert field_errors(over) == ["items[0].quantity"]
        closed = step(api, token, made["id"], "close", {"secret": secret})
        assert closed.status == 200, closed.body
        statuses.append((closed.json["status"], closed.json["repeats_left"]))
    assert statuses == [("ready", 1), ("ready", 0), ("completed", 0)]
    assert accept(api, world["pharmacy"], made["qr"]).status == 409
    assert [e.data["round"] for e in events("prescription.dispensed")] == [1, 2, 3]


def test_substitution_only_where_allowed(api: Api, world: dict[str, str]) -> None:
    made = prescribed(api, world["doctor"])
    secret = accept(api, world["pharmacy"], made["qr"]).json["secret"]
    body = {
        "secret": secret,
        "items": [
            {"index": 0, "quantity": 1},
            {"index": 1, "quantity": 1, "substituted_with": {"name": "Autre"}},
        ],
    }
    got = step(api, world["pharmacy"], made["id"], "dispense", body)
    assert_problem(got, 422)
    assert field_errors(got) == ["items[1].substituted_with"]
    beyond = step(
        api,
        world["pharmacy"],
        made["id"],
        "dispense",
        {"secret": secret, "items": [{"index": 2, "quantity": 1}]},
    )
    assert field_errors(beyond) == ["items[0].index"]
    # Nothing of a refused dispense was kept.
    close = step(api, world["pharmacy"], made["id"], "close", {"secret": secret})
    assert close.status == 409


def test_one_holder_at_a_time_and_a_reject_voids_the_secret(api: Api, world: dict[str, str]) -> None:
    made = prescribed(api, world["doctor"])
    other = pharmacy(api, OTHER_PHARMACY, "Pharmacie de la Gare")
    lost = accept(api, world["pharmacy"], made["qr"])
    assert lost.status == 200
    assert_problem(accept(api, other, made["qr"]), 409)
    # The holder whose answer was lost accepts again: a new secret, the first one void.
    first = accept(api, world["pharmacy"], made["qr"])
    assert first.status == 200, first.body
    secret = first.json["secret"]
    assert secret != lost.json["secret"]
    voided = {"secret": lost.json["secret"], "items": [{"index": 0, "quantity": 1}]}
    assert step(api, world["pharmacy"], made["id"], "dispense", voided).status == 403
    # Another pharmacy's secret, or a wrong one: 403.
    assert (
        step(
            api, other, made["id"], "dispense", {"secret": secret, "items": [{"index": 0, "quantity": 1}]}
        ).status
        == 403
    )
    assert step(api, world["pharmacy"], made["id"], "close", {"secret": "wrong"}).status == 403
    rejected = step(
        api, world["pharmacy"], made["id"], "reject", {"secret": secret, "reason": "rupture de stock"}
    )
    assert rejected.status == 200, rejected.body
    assert rejected.json["status"] == "ready"
    assert (
        step(
            api,
            world["pharmacy"],
            made["id"],
            "dispense",
            {"secret": secret, "items": [{"index": 0, "quantity": 1}]},
        ).status
        == 403
    )
    assert (
        api.get(f"/v1/prescriptions/{made['id']}", world["doctor"]).json["reject_reason"]
        == "rupture de stock"
    )
    second = accept(api, other, made["qr"])
    assert second.status == 200
    assert second.json["secret"] != secret
    assert step(api, other, "rx_01M83VVAE0J6TC7MHS3KXVYQ8Y", "close", {"secret": secret}).status == 404


def test_a_reject_after_a_dispense_is_refused(api: Api, world: dict[str, str]) -> None:
    made, secret = dispensed_one(api, world)
    assert step(api, world["pharmacy"], made["id"], "reject", {"secret": secret, "reason": "x"}).status == 409


def test_a_forged_or_altered_qr_is_422(api: Api, world: dict[str, str]) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    made = prescribed(api, world["doctor"])
    forged = prescription_token.PrescriptionClaims(made["id"], 1).sign(Ed25519PrivateKey.generate())
    for qr in (forged, made["qr"][:-3] + "AAA", "DHN1:", "hello"):
        got = accept(api, world["pharmacy"], qr)
        assert_problem(got, 422)
        assert field_errors(got) == ["qr"]
    # A genuine token of another kind (an invoice's) is no prescription.
    invoice = api.invoice(world["doctor"])
    assert field_errors(accept(api, world["pharmacy"], invoice.json["qr"])) == ["qr"]


def test_an_expired_prescription_is_422_and_the_job_marks_it(
    api: Api, world: dict[str, str], fixed_clock: FixedClock
) -> None:
    from tests.api.test_schedules import run

    made = prescribed(api, world["doctor"], valid_days=1)
    kept = prescribed(api, world["doctor"], valid_days=5)
    fixed_clock.advance(timedelta(days=1))
    # The last day is still valid.
    assert accept(api, world["pharmacy"], kept["qr"]).status == 200
    fixed_clock.advance(timedelta(days=1))
    got = accept(api, world["pharmacy"], made["qr"])
    assert_problem(got, 422)
    assert field_errors(got) == ["qr"]
    run(api, "expire_prescriptions", units=100)
    assert api.get(f"/v1/prescriptions/{made['id']}", world["doctor"]).json["status"] == "expired"
    assert api.get(f"/v1/prescriptions/{kept['id']}", world["doctor"]).json["status"] == "in_progress"
    assert field_errors(accept(api, world["pharmacy"], made["qr"])) == ["qr"]
    assert api.post(f"/v1/prescriptions/{made['id']}/cancel", world["doctor"], {"reason": "x"}).status == 409


def test_the_expiry_job_stops_in_time_and_the_next_run_finishes(
    api: Api, world: dict[str, str], fixed_clock: FixedClock
) -> None:
    from tests.api.test_schedules import run

    made = [prescribed(api, world["doctor"], valid_days=1)["id"] for _ in range(3)]
    fixed_clock.advance(timedelta(days=2))

    def expired() -> list[str]:
        return sorted(
            p["id"] for p in api.get("/v1/prescriptions?status=expired", world["doctor"]).json["items"]
        )

    run(api, "expire_prescriptions", units=0)
    assert expired() == []
    run(api, "expire_prescriptions", units=1)
    assert len(expired()) == 1
    run(api, "expire_prescriptions", units=100)
    run(api, "expire_prescriptions", units=100)
    assert expired() == sorted(made)


def test_the_prescribing_doctor_cancels_while_nobody_holds_it(api: Api, world: dict[str, str]) -> None:
    made, held = prescribed(api, world["doctor"]), prescribed(api, world["doctor"])
    assert accept(api, world["pharmacy"], held["qr"]).status == 200
    cancelled = api.post(f"/v1/prescriptions/{made['id']}/cancel", world["doctor"], {"reason": "erreur"})
    assert cancelled.status == 200, cancelled.body
    assert (cancelled.json["status"], cancelled.json["cancel_reason"]) == ("cancelled", "erreur")
    [told] = events("prescription.cancelled")
    assert (told.patient, told.data["prescription_id"]) == (ADULT, made["id"])
    assert api.post(f"/v1/prescriptions/{made['id']}/cancel", world["doctor"], {"reason": "x"}).status == 409
    assert api.post(f"/v1/prescriptions/{held['id']}/cancel", world["doctor"], {"reason": "x"}).status == 409
    assert accept(api, world["pharmacy"], made["qr"]).status == 409
    other = api.doctor("654321-09", "Dr Paul Klein")
    assert api.post(f"/v1/prescriptions/{held['id']}/cancel", other, {"reason": "x"}).status == 404


def test_every_pharmacy_access_is_journaled_for_the_patient(api: Api, world: dict[str, str]) -> None:
    made, _ = dispensed_one(api, world)
    entries = api.get("/v1/patient/access-log", world["patient"]).json["items"]
    pharmacy_entries = [
        (e["action"], e["actor"], e["object"]) for e in entries if e["actor"]["kind"] == "pharmacy"
    ]
    actor = {"kind": "pharmacy", "id": PHARMACY, "name": "Pharmacie du Globe"}
    rx = {"type": "prescription", "id": made["id"]}
    assert pharmacy_entries == [("prescription.dispense", actor, rx), ("prescription.accept", actor, rx)]
    accessed = [e for e in events("record.accessed") if e.data["actor"]["kind"] == "pharmacy"]
    assert len(accessed) == 1


def test_a_step_sent_again_with_its_key_answers_the_same_and_counts_once(
    api: Api, world: dict[str, str]
) -> None:
    made = prescribed(api, world["doctor"])
    secret = accept(api, world["pharmacy"], made["qr"]).json["secret"]
    base, key = f"/v1/pharmacy/prescriptions/{made['id']}", {"idempotency-key": "step-1"}
    body = {"secret": secret, "items": [{"index": 0, "quantity": 1}]}
    first = api.post(f"{base}/dispense", world["pharmacy"], body, headers=key)
    again = api.post(f"{base}/dispense", world["pharmacy"], body, headers=key)
    assert (first.status, again.status) == (200, 200)
    assert first.json == again.json
    assert [d["quantity"] for d in again.json["dispensed"]] == [1]
    closing = {"idempotency-key": "close-1"}
    closed = api.post(f"{base}/close", world["pharmacy"], {"secret": secret}, headers=closing)
    lost_answer = api.post(f"{base}/close", world["pharmacy"], {"secret": secret}, headers=closing)
    assert (closed.status, lost_answer.status) == (200, 200)
    assert lost_answer.json["receipt"] == closed.json["receipt"]
    assert len(events("prescription.dispensed")) == 1
