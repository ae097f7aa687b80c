"""A prescription from doctor to pharmacy over real HTTP: moto server, `chalice local` and the
worker, as `make run` starts them. The doctor prescribes and prints it, the QR code is read
off the PDF at 150 dpi, one pharmacy accepts while a second is told it is held, dispenses and
closes; the receipt verifies with the JWKS and a COSE library alone, and the patient's own
webhook receiver gets `prescription.dispensed`. Then twelve pharmacies race for one
prescription on real threads: one holds it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from local import receiver as receivers
from local import stack as local_stack
from tests.api.test_offline_verification import verify_offline
from tests.e2e.test_invoice_flow import Http, qr_codes
from tests.matricules import matricule

ITEMS = [
    {
        "medication": {"code": "0012345", "name": "Paracétamol 500 mg, 20 comprimés"},
        "quantity": 2,
        "dosage": "1 comprimé 3 fois par jour",
        "substitution_allowed": True,
    }
]
RACERS = 12
# The claim keys of the contract's table.
KIND, PHARMACY, ROUND = -1, -7, -8
RECEIPT_KIND = 3


@pytest.fixture(scope="module")
def receiver() -> Iterator[receivers.Receiver]:
    with receivers.running() as running:
        yield running


@pytest.fixture(scope="module")
def stack(receiver: receivers.Receiver) -> Iterator[local_stack.Stack]:
    with local_stack.running() as running:
        yield running


@pytest.fixture(scope="module")
def http(stack: local_stack.Stack) -> Http:
    return Http(stack)


def pharmacy(http: Http, code: str) -> str:
    made = http.created(
        "/v1/pharmacies", http.stack.operator_token, {"pharmacy_code": code, "name": f"Pharmacie {code}"}
    )
    return http.enrol(made["enrolment_code"], "Caisse")


def test_a_prescription_from_doctor_to_pharmacy(http: Http, receiver: receivers.Receiver) -> None:
    doctor = http.doctor("111111-11")
    number = matricule("19800101", "011")
    patient = http.patient(number)
    endpoint = http.created(
        "/v1/webhooks", patient, {"url": receiver.url, "events": ["prescription.dispensed"]}
    )
    receiver.secrets.append(endpoint["secret"])
    first, second = pharmacy(http, "412345"), pharmacy(http, "498765")

    made = http.created(
        "/v1/prescriptions", doctor, {"patient_matricule": number, "items": ITEMS, "repeats": 0}
    )
    printed = http.call("GET", made["links"]["pdf"], doctor, headers={"Accept": "application/pdf"})
    assert printed.status_code == 200
    [qr] = qr_codes(printed.content)
    assert qr == made["qr"]
    shown = http.call("GET", f"/v1/patient/prescriptions/{made['id']}", patient).json()
    assert shown["qr"] == qr

    accepted = http.call("POST", "/v1/pharmacy/prescriptions/accept", first, json={"qr": qr})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["prescription"]["patient"]["name"] == "Marie Schmit"
    taken = http.call("POST", "/v1/pharmacy/prescriptions/accept", second, json={"qr": qr})
    assert taken.status_code == 409, taken.text
    secret = accepted.json()["secret"]
    base = f"/v1/pharmacy/prescriptions/{made['id']}"
    given = http.call(
        "POST", f"{base}/dispense", first, json={"secret": secret, "items": [{"index": 0, "quantity": 2}]}
    )
    assert given.status_code == 200, given.text
    closed = http.call("POST", f"{base}/close", first, json={"secret": secret})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "completed"

    jwks = http.call("GET", "/v1/.well-known/jwks.json").json()
    claims = verify_offline(closed.json()["receipt"], jwks)
    assert (claims[KIND], claims[PHARMACY], claims[ROUND]) == (RECEIPT_KIND, 412345, 1)

    [delivered] = receiver.wait_for(1, seconds=15)
    assert delivered.body["type"] == "prescription.dispensed"
    assert delivered.body["data"]["prescription_id"] == made["id"]
    assert number not in str(delivered.body)
    assert http.call("GET", f"/v1/prescriptions/{made['id']}", doctor).json()["status"] == "completed"


def test_twelve_pharmacies_race_for_one_prescription(http: Http) -> None:
    doctor = http.doctor("222222-22")
    number = matricule("19800101", "012")
    http.patient(number)
    tokens = [pharmacy(http, f"{430000 + n:06d}") for n in range(RACERS)]
    made = http.created(
        "/v1/prescriptions", doctor, {"patient_matricule": number, "items": ITEMS, "repeats": 0}
    )
    gate = threading.Barrier(RACERS)

    def race(token: str) -> int:
        gate.wait()
        return http.call(
            "POST", "/v1/pharmacy/prescriptions/accept", token, json={"qr": made["qr"]}
        ).status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = list(pool.map(race, tokens))
    assert sorted(statuses) == [200] + [409] * (RACERS - 1)
    assert http.call("GET", f"/v1/prescriptions/{made['id']}", doctor).json()["status"] == "in_progress"
