"""Certificates of incapacity for work through the API: the doctor issues, cancels and
corrects, the insurer's queue fills as cancel windows close, the patient reads and shares, the
employer opens the link. Every route, and each of its failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest

from chalicelib.core.clock import FixedClock
from chalicelib.store.certificates import CertificateItem
from chalicelib.store.journal import EntryItem
from chalicelib.store.outbox import OutboxEvent
from tests.api.conftest import ADULT, NOW, Api
from tests.api.test_conventions import assert_problem, field_errors
from tests.api.test_practice import new_code
from tests.api.test_transaction_conflicts import Cancelling, inject
from tests.matricules import matricule

OTHER = matricule("19850607")
TODAY = NOW.date()
PDF = {"accept": "application/pdf"}


def body(**fields: Any) -> dict[str, Any]:
    return {
        "patient_matricule": ADULT,
        "kind": "initial",
        "start": TODAY.isoformat(),
        "end": (TODAY + timedelta(days=4)).isoformat(),
        "diagnosis_code": "J06.9",
        "outings_allowed": True,
        "accident": False,
        **fields,
    }


def issue(api: Api, doctor: str, **fields: Any) -> dict[str, Any]:
    made = api.post("/v1/certificates", doctor, body(**fields))
    assert made.status == 201, made.body
    return dict(made.json)


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "".join(page.get_textpage().get_text_range() for page in document)


def events(type: str) -> list[OutboxEvent]:
    return [e for e in OutboxEvent.scan() if e.type == type]


@pytest.fixture
def doctor(api: Api) -> str:
    token = api.doctor()
    api.register(ADULT, name="Marie Schmit")
    return token


@pytest.fixture
def patient(api: Api, doctor: str) -> str:
    return api.login(ADULT)


class TestIssue:
    def test_answers_the_doctors_view_with_deadlines_and_a_record_copy(self, api: Api, doctor: str) -> None:
        made = issue(api, doctor, diagnosis_code="j069")
        assert made["id"].startswith("cit_")
        assert made["status"] == "issued"
        assert made["insurer"] == "CNS"
        assert made["diagnosis_code"] == "J06.9"
        assert made["cancel_until"] == "2026-11-23T10:30:00.000Z"
        # Monday 23 November: the 3rd working day is Wednesday 25.
        assert made["deadlines"] == {"employer_by": "2026-11-25", "insurer_by": "2026-11-25"}
        assert made["late"] is False
        assert made["links"]["pdf"] == f"/v1/certificates/{made['id']}/pdf"
        assert made["qr"].startswith("DHN1:")
        assert made["vault"]["stored"] is True

        patient = api.login(ADULT)
        documents = api.get("/v1/patient/documents?type=certificate", patient).json["items"]
        assert [d["id"] for d in documents] == [made["vault"]["document_id"]]
        assert "J06" not in documents[0]["title"]
        [issued] = events("certificate.issued")
        assert issued.data["certificate_id"] == made["id"]
        assert "J06" not in str(issued.data)
        assert [e.data["certificate_id"] for e in events("document.received")] == [made["id"]]

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"diagnosis_code": "J6.9"}, "diagnosis_code"),
            ({"diagnosis_code": "J06.999"}, "diagnosis_code"),
            ({"diagnosis_code": "106.9"}, "diagnosis_code"),
            ({"end": (TODAY - timedelta(days=1)).isoformat()}, "end"),
            ({"end": (TODAY + timedelta(days=366)).isoformat()}, "end"),
            ({"start": (TODAY - timedelta(days=3)).isoformat()}, "start"),
            ({"kind": "relapse"}, "kind"),
            ({"outings_allowed": "yes"}, "outings_allowed"),
            ({"patient_matricule": OTHER}, "patient_matricule"),
            ({"replaces": "cit_01KB3X4Y5Z6A7B8C9D0E1F2G3H"}, "replaces"),
            ({"colour": "blue"}, "colour"),
        ],
    )
    def test_refuses_what_breaks_a_rule(
        self, api: Api, doctor: str, fields: dict[str, Any], field: str
    ) -> None:
        refused = api.post("/v1/certificates", doctor, body(**fields))
        assert_problem(refused, 422)
        assert field in field_errors(refused)
        assert not list(OutboxEvent.scan())

    def test_an_extension_may_start_further_back_and_a_year_is_the_longest(
        self, api: Api, doctor: str
    ) -> None:
        start = TODAY - timedelta(days=10)
        made = issue(api, doctor, kind="extension", start=start.isoformat(), end="2027-11-13")
        # Started 13 November (Friday): its 3rd working day was Tuesday 17; sent at issue + 1 h.
        assert made["deadlines"]["insurer_by"] == "2026-11-17"
        assert made["late"] is True

    def test_an_initial_may_start_two_days_back(self, api: Api, doctor: str) -> None:
        issue(api, doctor, start=(TODAY - timedelta(days=2)).isoformat())

    def test_only_a_doctors_device_issues(self, api: Api, doctor: str, patient: str) -> None:
        code = new_code(api, doctor, "assistant")
        assistant = api.enrol(code)
        assert_problem(api.post("/v1/certificates", assistant, body()), 403)
        assert_problem(api.post("/v1/certificates", patient, body()), 403)
        assert_problem(api.post("/v1/certificates", None, body()), 401)

    def test_honours_an_idempotency_key(self, api: Api, doctor: str) -> None:
        key = {"idempotency-key": "cit-1"}
        first = api.post("/v1/certificates", doctor, body(), headers=key)
        again = api.post("/v1/certificates", doctor, body(), headers=key)
        assert first.status == again.status == 201
        assert first.json == again.json
        other = api.post("/v1/certificates", doctor, body(accident=True), headers=key)
        assert_problem(other, 422)
        assert len(events("certificate.issued")) == 1

    @pytest.mark.parametrize(
        ("module", "name"),
        [("chalicelib.store.vault", "publish"), ("chalicelib.api.certificates", "practice_json")],
    )
    def test_retried_after_a_crash_is_the_first_one(
        self, api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch, module: str, name: str
    ) -> None:
        import importlib

        from tests.api.test_crash_safety import crash_once, objects

        crash_once(monkeypatch, importlib.import_module(module), name)
        key = {"idempotency-key": "cit-crash"}
        assert api.post("/v1/certificates", doctor, body(), headers=key).status == 500
        retried = api.post("/v1/certificates", doctor, body(), headers=key)
        assert retried.status == 201, retried.body
        assert [c["id"] for c in api.get("/v1/certificates", doctor).json["items"]] == [retried.json["id"]]
        assert len(events("certificate.issued")) == 1
        # The committed copy is in place once, whichever step the first request died at.
        assert len(objects("documents/")) == 1


class TestCancel:
    def test_within_the_window_and_again(self, api: Api, doctor: str, fixed_clock: FixedClock) -> None:
        made = issue(api, doctor)
        fixed_clock.advance(timedelta(minutes=59))
        path = f"/v1/certificates/{made['id']}/cancel"
        cancelled = api.post(path, doctor, {"reason": "wrong patient"})
        assert cancelled.status == 200, cancelled.body
        assert cancelled.json["status"] == "cancelled"
        again = api.post(path, doctor, {"reason": "once more"})
        assert again.status == 200
        assert again.json == cancelled.json
        assert len(events("certificate.cancelled")) == 1
        # Never transmitted, even once its window would have closed.
        fixed_clock.advance(timedelta(hours=2))
        insurer = api.insurer()
        assert api.get("/v1/insurer/certificates", insurer).json["items"] == []
        assert_problem(api.get(f"/v1/insurer/certificates/{made['id']}", insurer), 404)

    def test_after_the_window_is_a_conflict(self, api: Api, doctor: str, fixed_clock: FixedClock) -> None:
        made = issue(api, doctor)
        fixed_clock.advance(timedelta(hours=1))
        refused = api.post(f"/v1/certificates/{made['id']}/cancel", doctor, {"reason": "late"})
        assert_problem(refused, 409)
        assert api.get(f"/v1/certificates/{made['id']}", doctor).json["status"] == "issued"

    def test_another_practice_sees_nothing(self, api: Api, doctor: str) -> None:
        made = issue(api, doctor)
        other = api.doctor("654321-09", "Dr Paul Klein")
        assert_problem(api.post(f"/v1/certificates/{made['id']}/cancel", other, {"reason": "x"}), 404)
        assert_problem(api.get(f"/v1/certificates/{made['id']}", other), 404)
        assert api.get("/v1/certificates", other).json["items"] == []
        assert_problem(api.post(f"/v1/certificates/{made['id']}/cancel", doctor, {}), 422)


class TestCorrection:
    def test_marks_the_replaced_one_superseded(self, api: Api, doctor: str, fixed_clock: FixedClock) -> None:
        first = issue(api, doctor)
        fixed_clock.advance(timedelta(days=3))
        # Three days later the initial's original start is still allowed: it was issued then.
        second = issue(api, doctor, replaces=first["id"], end=(TODAY + timedelta(days=9)).isoformat())
        assert second["replaces"] == first["id"]
        replaced = api.get(f"/v1/certificates/{first['id']}", doctor).json
        assert replaced["status"] == "superseded"
        assert replaced["superseded_by"] == second["id"]
        insurer = api.insurer()
        fixed_clock.advance(timedelta(hours=1))
        superseded = api.get("/v1/insurer/certificates?status=superseded", insurer).json["items"]
        assert [c["id"] for c in superseded] == [first["id"]]
        in_force = api.get("/v1/insurer/certificates?status=issued", insurer).json["items"]
        assert [c["id"] for c in in_force] == [second["id"]]
        # Replacing it again: it is no longer in force.
        again = api.post("/v1/certificates", doctor, body(replaces=first["id"]))
        assert_problem(again, 422)
        assert field_errors(again) == ["replaces"]

    def test_only_the_same_patient_at_the_same_practice(self, api: Api, doctor: str) -> None:
        first = issue(api, doctor)
        api.register(OTHER, name="Jean Muller")
        refused = api.post("/v1/certificates", doctor, body(patient_matricule=OTHER, replaces=first["id"]))
        assert field_errors(refused) == ["replaces"]
        other = api.doctor("654321-09", "Dr Paul Klein")
        assert field_errors(api.post("/v1/certificates", other, body(replaces=first["id"]))) == ["replaces"]


class TestPracticeReads:
    def test_doctors_read_assistants_may_not(self, api: Api, doctor: str) -> None:
        made = issue(api, doctor)
        got = api.get(f"/v1/certificates/{made['id']}", doctor)
        assert got.status == 200
        assert got.json == made
        assistant = api.enrol(new_code(api, doctor, "assistant"))
        one = f"/v1/certificates/{made['id']}"
        for path in (one, "/v1/certificates", f"{one}/pdf"):
            assert_problem(api.get(path, assistant, headers=PDF), 403)
        assert_problem(api.get("/v1/certificates/cit_nothing", doctor), 404)

    def test_list_by_patient_newest_first(self, api: Api, doctor: str, fixed_clock: FixedClock) -> None:
        first = issue(api, doctor)
        fixed_clock.advance(timedelta(seconds=1))
        api.register(OTHER, name="Jean Muller")
        other = issue(api, doctor, patient_matricule=OTHER)
        fixed_clock.advance(timedelta(seconds=1))
        second = issue(api, doctor, kind="extension")
        everyone = [c["id"] for page in api.pages("/v1/certificates", doctor, 2) for c in page]
        assert everyone == [second["id"], other["id"], first["id"]]
        path = f"/v1/certificates?patient_id={api.ids[ADULT]}"
        assert [c["id"] for page in api.pages(path, doctor, 1) for c in page] == [second["id"], first["id"]]
        nobody = api.get("/v1/certificates?patient_id=pat_01KB3X4Y5Z6A7B8C9D0E1F2G3H", doctor)
        assert nobody.json["items"] == []

    def test_the_pdf_is_the_patients_sheet(self, api: Api, doctor: str) -> None:
        made = issue(api, doctor)
        sheet = api.get(f"/v1/certificates/{made['id']}/pdf", doctor, headers=PDF)
        assert sheet.status == 200
        assert sheet.headers["content-type"] == "application/pdf"
        text = pdf_text(sheet.body)
        assert "Volet destiné à l'assuré" in text
        assert "J06" not in text
        assert_problem(api.get(f"/v1/certificates/{made['id']}/pdf", doctor), 406)


class TestInsurer:
    def test_the_queue_fills_as_windows_close(self, api: Api, doctor: str, fixed_clock: FixedClock) -> None:
        insurer = api.insurer()
        first = issue(api, doctor)
        fixed_clock.advance(timedelta(minutes=30))
        second = issue(api, doctor, kind="extension")
        assert api.get("/v1/insurer/certificates", insurer).json["items"] == []
        assert_problem(api.get(f"/v1/insurer/certificates/{first['id']}", insurer), 404)
        fixed_clock.advance(timedelta(minutes=30))
        page = api.get("/v1/insurer/certificates", insurer).json
        assert [c["id"] for c in page["items"]] == [first["id"]]
        assert page["items"][0]["diagnosis_code"] == "J06.9"
        assert page["items"][0]["transmitted_at"] == first["cancel_until"]
        fixed_clock.advance(timedelta(minutes=30))
        pages = api.pages("/v1/insurer/certificates", insurer, 1)
        assert [c["id"] for page in pages for c in page] == [first["id"], second["id"]]
        assert api.get("/v1/insurer/certificates", api.insurer("CMFEP")).json["items"] == []
        assert_problem(api.get(f"/v1/insurer/certificates/{first['id']}", api.insurer("CMFEP")), 404)

    def test_filters_by_status_and_late(self, api: Api, doctor: str, fixed_clock: FixedClock) -> None:
        insurer = api.insurer()
        on_time = issue(api, doctor)
        late = issue(api, doctor, kind="extension", start=(TODAY - timedelta(days=10)).isoformat())
        fixed_clock.advance(timedelta(hours=1))

        def ids(query: str) -> list[str]:
            pages = api.pages(f"/v1/insurer/certificates?{query}", insurer, 1)
            return [c["id"] for page in pages for c in page]

        assert ids("late=true") == [late["id"]]
        assert ids("late=false") == [on_time["id"]]
        assert ids("status=issued&late=true") == [late["id"]]
        assert ids("status=issued&late=false") == [on_time["id"]]
        assert ids("status=superseded") == []
        assert field_errors(api.get("/v1/insurer/certificates?status=cancelled", insurer)) == ["status"]
        assert field_errors(api.get("/v1/insurer/certificates?late=maybe", insurer)) == ["late"]

    def test_reads_are_journaled_and_the_sheet_has_the_diagnosis(
        self, api: Api, doctor: str, fixed_clock: FixedClock
    ) -> None:
        made = issue(api, doctor)
        fixed_clock.advance(timedelta(hours=1))
        insurer = api.insurer()
        got = api.get(f"/v1/insurer/certificates/{made['id']}", insurer)
        assert got.status == 200
        assert got.json["patient_matricule"] == ADULT
        sheet = api.get(f"/v1/insurer/certificates/{made['id']}/pdf", insurer, headers=PDF)
        assert sheet.status == 200
        text = pdf_text(sheet.body)
        assert "J06.9" in text
        assert "Volet destiné à la caisse de maladie" in text
        log = api.get("/v1/patient/access-log", api.login(ADULT)).json["items"]
        by_insurer = [e for e in log if e["actor"]["kind"] == "insurer"]
        assert len(by_insurer) == 2
        assert {e["action"] for e in by_insurer} == {"certificate.read"}
        assert by_insurer[0]["object"] == {"type": "certificate", "id": made["id"]}

    def test_acknowledge_once_and_the_patient_is_told(
        self, api: Api, doctor: str, fixed_clock: FixedClock
    ) -> None:
        made = issue(api, doctor)
        insurer = api.insurer()
        path = f"/v1/insurer/certificates/{made['id']}/acknowledge"
        assert_problem(api.post(path, insurer), 404)
        fixed_clock.advance(timedelta(hours=1))
        first = api.post(path, insurer)
        assert first.status == 200, first.body
        assert first.json == {"id": made["id"], "acknowledged_at": "2026-11-23T10:30:00.000Z"}
        fixed_clock.advance(timedelta(minutes=5))
        assert api.post(path, insurer).json == first.json
        [told] = events("certificate.transmitted")
        assert told.data["acknowledged_at"] == first.json["acknowledged_at"]
        assert_problem(api.post(path, api.insurer("RCAM")), 404)
        assert_problem(api.post(path, doctor), 403)


class TestPatient:
    def test_reads_without_the_diagnosis(self, api: Api, doctor: str, patient: str) -> None:
        made = issue(api, doctor)
        listed = api.get("/v1/patient/certificates", patient)
        assert [c["id"] for c in listed.json["items"]] == [made["id"]]
        got = api.get(f"/v1/patient/certificates/{made['id']}", patient)
        assert got.status == 200
        assert "diagnosis_code" not in got.json
        assert "J06" not in got.body.decode()
        sheet = api.get(f"/v1/patient/certificates/{made['id']}/pdf", patient, headers=PDF)
        assert sheet.status == 200
        assert "J06" not in pdf_text(sheet.body)

    @pytest.mark.usefixtures("patient")
    def test_another_patients_is_not_found_and_a_stranger_may_not_act_for(
        self, api: Api, doctor: str
    ) -> None:
        made = issue(api, doctor)
        api.register(OTHER, name="Jean Muller")
        other = api.login(OTHER)
        assert_problem(api.get(f"/v1/patient/certificates/{made['id']}", other), 404)
        assert api.get("/v1/patient/certificates", other).json["items"] == []
        assert_problem(api.get(f"/v1/patient/certificates?for={api.ids[ADULT]}", other), 403)
        assert_problem(api.get("/v1/patient/certificates", doctor), 403)

    def test_a_relative_reads_for_the_patient(self, api: Api, doctor: str, patient: str) -> None:
        made = issue(api, doctor)
        api.register(OTHER, name="Jean Muller")
        other = api.login(OTHER)
        asked = api.post("/v1/patient/relatives", other, {"matricule": ADULT, "relationship": "spouse"})
        assert asked.status == 201, asked.body
        accepted = api.post(f"/v1/patient/relatives/{asked.json['link_id']}/accept", patient)
        assert accepted.status == 200, accepted.body
        got = api.get(f"/v1/patient/certificates/{made['id']}?for={api.ids[ADULT]}", other)
        assert got.status == 200, got.body


class TestEmployerShares:
    def share(self, api: Api, patient: str, certificate_id: str, **fields: Any) -> dict[str, Any]:
        made = api.post(f"/v1/patient/certificates/{certificate_id}/employer-shares", patient, fields)
        assert made.status == 201, made.body
        return dict(made.json)

    def test_the_employer_opens_the_link_without_the_diagnosis(
        self, api: Api, doctor: str, patient: str
    ) -> None:
        made = issue(api, doctor)
        shared = self.share(api, patient, made["id"], employer_name="Cactus SA")
        assert len(shared["code"]) == 22
        assert shared["url"] == f"/v1/employer/certificates/{shared['code']}"
        assert shared["expires_at"] == "2026-12-23T09:30:00.000Z"
        view = api.get(shared["url"])
        assert view.status == 200, view.body
        assert view.json == {
            "patient_name": "Marie Schmit",
            "kind": "initial",
            "start": "2026-11-23",
            "end": "2026-11-27",
            "outings_allowed": True,
            "status": "issued",
            "practice_name": "Dr Anne Weber",
            "links": {"pdf": f"{shared['url']}/pdf"},
        }
        sheet = api.get(f"{shared['url']}/pdf", headers=PDF)
        assert sheet.status == 200
        text = pdf_text(sheet.body)
        assert "Volet destiné à l'employeur" in text
        assert "J06" not in text
        assert ADULT not in text
        log = api.get("/v1/patient/access-log", patient).json["items"]
        employer = [e for e in log if e["actor"]["kind"] == "employer"]
        assert len(employer) == 2
        assert employer[0]["actor"] == {"kind": "employer", "id": made["id"], "name": "Cactus SA"}
        assert employer[0]["action"] == "certificate.read"

    def test_revoked_expired_and_unknown_codes_are_not_found(
        self, api: Api, doctor: str, patient: str, fixed_clock: FixedClock
    ) -> None:
        made = issue(api, doctor)
        revoked = self.share(api, patient, made["id"])
        kept = self.share(api, patient, made["id"])
        path = f"/v1/patient/certificates/{made['id']}/employer-shares/{revoked['code']}"
        assert api.delete(path, patient).status == 204
        assert api.delete(path, patient).status == 204
        assert_problem(api.get(revoked["url"]), 404)
        assert_problem(api.get(f"{revoked['url']}/pdf", headers=PDF), 404)
        assert api.get(kept["url"]).status == 200
        log = api.get("/v1/patient/access-log", patient).json["items"]
        assert [e["actor"]["name"] for e in log if e["actor"]["kind"] == "employer"] == ["employer"]
        assert_problem(api.get("/v1/employer/certificates/AAAAAAAAAAAAAAAAAAAAAA"), 404)
        assert_problem(api.get("/v1/employer/certificates/short"), 404)
        fixed_clock.advance(timedelta(days=30))
        assert_problem(api.get(kept["url"]), 404)

    def test_only_the_patient_shares_and_revokes_their_own(self, api: Api, doctor: str, patient: str) -> None:
        made = issue(api, doctor)
        shared = self.share(api, patient, made["id"])
        api.register(OTHER, name="Jean Muller")
        other = api.login(OTHER)
        path = f"/v1/patient/certificates/{made['id']}/employer-shares"
        assert_problem(api.post(path, other, {}), 404)
        assert_problem(api.delete(f"{path}/{shared['code']}", other), 404)
        assert_problem(api.post(path, doctor, {}), 403)
        assert_problem(api.post(path, None, {}), 401)
        second = issue(api, doctor)
        elsewhere = f"/v1/patient/certificates/{second['id']}/employer-shares/{shared['code']}"
        assert_problem(api.delete(elsewhere, patient), 404)
        assert field_errors(api.post(path, patient, {"employer_name": ""})) == ["employer_name"]
        assert api.get(shared["url"]).status == 200

    def test_a_cancelled_certificate_is_not_shared(self, api: Api, doctor: str, patient: str) -> None:
        made = issue(api, doctor)
        assert api.post(f"/v1/certificates/{made['id']}/cancel", doctor, {"reason": "typo"}).status == 200
        assert_problem(api.post(f"/v1/patient/certificates/{made['id']}/employer-shares", patient, {}), 409)


def test_no_journal_entry_without_an_access(api: Api, doctor: str) -> None:
    issue(api, doctor)
    assert not [e for e in EntryItem.scan() if e.action == "certificate.read"]


class TestCollisions:
    """DynamoDB cancels colliding transactions, which moto never does: injected here."""

    def test_issue_cancel_and_acknowledge_survive_collisions(
        self, api: Api, doctor: str, fixed_clock: FixedClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        faults = inject(monkeypatch, Cancelling((True, False)))
        kept = issue(api, doctor)
        dropped = issue(api, doctor)
        assert api.post(f"/v1/certificates/{dropped['id']}/cancel", doctor, {"reason": "x"}).status == 200
        fixed_clock.advance(timedelta(hours=1))
        acknowledged = api.post(f"/v1/insurer/certificates/{kept['id']}/acknowledge", api.insurer())
        assert acknowledged.status == 200, acknowledged.body
        assert faults.cancelled >= 4
        assert len(events("certificate.issued")) == 2
        assert len(events("certificate.cancelled")) == 1
        assert len(events("certificate.transmitted")) == 1

    def test_past_the_retries_it_is_a_conflict_and_nothing_is_written(
        self, api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        inject(monkeypatch, Cancelling((True,)))
        assert_problem(api.post("/v1/certificates", doctor, body()), 409)
        assert not list(CertificateItem.scan())
        assert not events("certificate.issued")


def test_a_correction_racing_another_is_refused_on_replaces(
    api: Api, doctor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two corrections of one certificate at once: the second's transaction finds it superseded."""
    from chalicelib.store import certificates as store

    first = issue(api, doctor)
    stale = store.get(first["id"])
    issue(api, doctor, replaces=first["id"])
    real = store.get
    reads = iter([stale])
    monkeypatch.setattr(store, "get", lambda *a, **kw: next(reads, None) or real(*a, **kw))
    refused = api.post("/v1/certificates", doctor, body(replaces=first["id"]))
    assert_problem(refused, 422)
    assert field_errors(refused) == ["replaces"]
    assert "superseded" in refused.json["errors"][0]["message"]
    assert len(events("certificate.issued")) == 2
