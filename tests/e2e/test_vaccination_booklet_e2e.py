"""A child's booklet over real HTTP, the whole local stack: the guardian links the baby, a
doctor records the newborn's RSV immunisation, the guardian reads the booklet in JSON and FHIR,
its recommendations and its PDF, and the guardian's app is told by webhook, within seconds of
the worker's schedule, of the doses that have fallen due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests

from chalicelib.domain.calendar import local_date
from local import receiver as receivers
from local import stack
from tests.matricules import matricule

PARENT = "1893120105732"
INFANT_DOSES = {"hexavalent-infant", "pneumococcal-infant", "rotavirus-infant"}


def post(base: str, path: str, token: str | None, body: dict[str, Any] | None = None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    answer = requests.post(f"{base}/v1{path}", json=body or {}, headers=headers, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def get(base: str, path: str, token: str, accept: str = "application/json") -> requests.Response:
    answer = requests.get(
        f"{base}/v1{path}", headers={"authorization": f"Bearer {token}", "accept": accept}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer


def register(base: str, operator: str, number: str, name: str, guardians: list[str]) -> str:
    body = {
        "matricule": number,
        "name": name,
        "insurer": "CNS",
        "digital_admin": "opted_in",
        "app_active": True,
        "guardians": guardians,
    }
    return str(
        post(base, "/patients", operator, body if guardians else {**body, "guardians": []})["patient_id"]
    )


def test_a_guardian_follows_a_childs_booklet_and_is_told_of_doses_due() -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.immunizationrecommendation import ImmunizationRecommendation

    # Ten weeks old today: the first infant doses fell due at two months.
    born = local_date(datetime.now(UTC)) - timedelta(weeks=10)
    baby = matricule(born.strftime("%Y%m%d"))
    with receivers.running() as receiver, stack.running() as running:
        base, operator = running.base_url, running.operator_token
        code = post(base, "/doctors", operator, {"doctor_code": "123456-78", "name": "Dr Anne Weber"})
        doctor = post(base, "/devices", None, {"enrolment_code": code["enrolment_code"], "device_name": "PC"})
        parent_id = register(base, operator, PARENT, "Marie Schmit", [])
        baby_id = register(base, operator, baby, "Léa Schmit", [PARENT])
        parent = post(base, f"/patients/{parent_id}/tokens", operator)["token"]
        link = post(base, "/patient/relatives", parent, {"matricule": baby, "relationship": "child"})
        assert link["status"] == "active"
        endpoint = post(base, "/webhooks", parent, {"url": receiver.url, "events": ["vaccination.due"]})
        receiver.secrets.append(endpoint["secret"])

        entry = post(
            base,
            "/vaccinations",
            doctor["token"],
            {
                "patient_matricule": baby,
                "vaccine": {"code": "J06BD08", "name": "Beyfortus"},
                "targets": ["rsv"],
                "given_on": born.isoformat(),
                "lot_number": "N1",
            },
        )
        assert entry["verified"] is True

        booklet = get(base, f"/patient/vaccinations?for={baby_id}", parent).json()
        assert [i["id"] for i in booklet["items"]] == [entry["id"]]
        fhir = get(base, f"/patient/vaccinations?for={baby_id}", parent, "application/fhir+json")
        assert fhir.headers["content-type"] == "application/fhir+json"
        assert Bundle.model_validate_json(fhir.content).total == 1
        advice = get(base, f"/patient/vaccinations/recommendations?for={baby_id}", parent).json()
        due = {i["rule"] for i in advice["items"] if i["status"] == "due"}
        assert due >= INFANT_DOSES
        recommendation = get(
            base, f"/patient/vaccinations/recommendations?for={baby_id}", parent, "application/fhir+json"
        )
        ImmunizationRecommendation.model_validate_json(recommendation.content)
        pdf = get(base, f"/patient/vaccinations/booklet.pdf?for={baby_id}", parent, "application/pdf")
        assert pdf.content.startswith(b"%PDF")

        told = receiver.wait_for(len(INFANT_DOSES), seconds=20)
        assert all(r.verified for r in receiver.received)
        assert {r.body["data"]["rule"] for r in told} == INFANT_DOSES
        assert {r.body["data"]["patient_id"] for r in told} == {baby_id}
        assert all(
            date.fromisoformat(r.body["data"]["due_on"]) <= local_date(datetime.now(UTC)) for r in told
        )
        assert baby not in str([r.body for r in told])
