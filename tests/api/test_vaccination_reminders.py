"""`vaccination.due`: the reminder job tells the patient and a child's guardians of each dose
once, when it falls due, from the index of watches, within its time budget; runs that race, a
booklet changed under a run, and transactions that collide tell each dose once all the same."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.clock import FixedClock
from chalicelib.core.time_budget import UNLIMITED
from chalicelib.services import vaccinations as service
from chalicelib.store import vaccinations as store
from chalicelib.store.outbox import OutboxEvent
from tests.api.conftest import ADULT, Api
from tests.api.test_relatives import linked
from tests.api.test_schedules import run
from tests.api.test_transaction_conflicts import Cancelling, inject
from tests.matricules import matricule

BABY = matricule("20261001")
# Two months old: the hexavalent, pneumococcal and rotavirus first doses fall due.
TWO_MONTHS = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
INFANT_DOSES = ["hexavalent-infant#1", "pneumococcal-infant#1", "rotavirus-infant#1"]


def told() -> list[tuple[str, str | None, str]]:
    """(recipient, on behalf of, dose) of every `vaccination.due` written."""
    return sorted(
        (e.patient or "", e.on_behalf_of, f"{e.data['rule']}#{e.data['dose']}")
        for e in OutboxEvent.scan()
        if e.type == "vaccination.due"
    )


def doses_told() -> Counter[str]:
    return Counter(dose for recipient, _, dose in told() if recipient == BABY)


@pytest.fixture
def baby(api: Api) -> str:
    """A baby whose guardian declared the RSV immunisation at birth: the booklet is open."""
    parent = api.patient(ADULT)
    baby_id = api.register(BABY, guardians=(ADULT,), name="Léa Schmit")
    linked(api, parent, BABY)
    body = {"vaccine": {"code": "J06BD08", "name": "Beyfortus"}, "targets": ["rsv"], "given_on": "2026-10-01"}
    assert api.post(f"/v1/patient/vaccinations?for={baby_id}", parent, body).status == 201
    return baby_id


def test_each_dose_is_told_once_to_the_baby_and_the_guardian(
    api: Api, fixed_clock: FixedClock, baby: str
) -> None:
    run(api, "vaccination_reminders", units=100)
    assert told() == []
    fixed_clock.advance(TWO_MONTHS - fixed_clock.now())
    run(api, "vaccination_reminders", units=100)
    expected = [(who, behalf, dose) for dose in INFANT_DOSES for who, behalf in [(ADULT, BABY), (BABY, None)]]
    assert told() == sorted(expected)
    run(api, "vaccination_reminders", units=100)
    assert told() == sorted(expected)
    [event] = [
        e for e in OutboxEvent.scan() if e.type == "vaccination.due" and e.data["rule"] == "rotavirus-infant"
    ][:1]
    assert event.data["patient_id"] == baby
    assert (event.data["due_on"], event.data["targets"]) == ("2026-12-01", ["rotavirus"])
    assert BABY not in str(event.data) and ADULT not in str(event.data)

    # A month on, MenB falls due; the doses not given are not told again.
    fixed_clock.advance(timedelta(days=31))
    run(api, "vaccination_reminders", units=100)
    assert doses_told() == Counter({**dict.fromkeys(INFANT_DOSES, 1), "menb-infant#1": 1})


def test_the_job_stops_within_its_budget_and_the_next_run_tells_the_rest(
    api: Api, fixed_clock: FixedClock, baby: str
) -> None:
    fixed_clock.advance(TWO_MONTHS - fixed_clock.now())
    run(api, "vaccination_reminders", units=0)
    assert told() == []
    run(api, "vaccination_reminders", units=100)
    assert doses_told() == Counter(dict.fromkeys(INFANT_DOSES, 1))


def test_two_racing_runs_tell_each_dose_once(
    api: Api, fixed_clock: FixedClock, baby: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed_clock.advance(TWO_MONTHS - fixed_clock.now())
    # The first run has read the index when the second starts and finishes.
    read_first = list(store.watches_due(TWO_MONTHS.date()))
    assert len(read_first) == 1
    run(api, "vaccination_reminders", units=100)
    monkeypatch.setattr(store, "watches_due", lambda _today: iter(read_first))
    assert service.send_reminders(fixed_clock, UNLIMITED) == 0
    assert doses_told() == Counter(dict.fromkeys(INFANT_DOSES, 1))


def test_a_booklet_changed_under_a_run_is_told_once(
    api: Api, fixed_clock: FixedClock, baby: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A doctor records the hexavalent dose while the job reads the index: the job's write
    loses to the doctor's, and the next run tells only what is still due."""
    fixed_clock.advance(TWO_MONTHS - fixed_clock.now())
    doctor = api.doctor()
    read_first = list(store.watches_due(TWO_MONTHS.date()))
    body = {
        "patient_matricule": BABY,
        "vaccine": {"code": "J07CA09", "name": "Hexyon"},
        "targets": ["diphtheria", "tetanus", "pertussis", "polio", "hib", "hepatitis_b"],
        "given_on": "2026-12-01",
        "lot_number": "X4C21",
    }
    assert api.post("/v1/vaccinations", doctor, body).status == 201
    monkeypatch.setattr(store, "watches_due", lambda _today: iter(read_first))
    assert service.send_reminders(fixed_clock, UNLIMITED) == 0
    monkeypatch.undo()
    run(api, "vaccination_reminders", units=100)
    assert doses_told() == Counter({"pneumococcal-infant#1": 1, "rotavirus-infant#1": 1})


def test_an_entry_racing_the_job_reads_the_watch_again_and_keeps_what_was_told(
    api: Api, fixed_clock: FixedClock, baby: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job tells the baby's doses between the entry's read of the watch and its write: the
    entry's write fails on the watch's version, reads again, and keeps the doses told."""
    fixed_clock.advance(TWO_MONTHS - fixed_clock.now())
    real = store.watch_of
    raced: list[bool] = []

    def watch_then_job(patient: str) -> object:
        read = real(patient)
        if not raced:
            raced.append(True)
            run(api, "vaccination_reminders", units=100)
        return read

    monkeypatch.setattr(store, "watch_of", watch_then_job)
    parent = api.login(ADULT)
    body = {
        "vaccine": {"code": "J07BB", "name": "Fluenz"},
        "targets": ["influenza"],
        "given_on": "2026-11-30",
    }
    assert api.post(f"/v1/patient/vaccinations?for={baby}", parent, body).status == 201
    monkeypatch.undo()
    watch = store.watch_of(BABY)
    assert watch is not None and set(INFANT_DOSES) <= watch.told
    run(api, "vaccination_reminders", units=100)
    assert doses_told() == Counter(dict.fromkeys(INFANT_DOSES, 1))


def test_colliding_transactions_tell_each_dose_once(
    api: Api, fixed_clock: FixedClock, baby: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed_clock.advance(TWO_MONTHS - fixed_clock.now())
    faults = inject(monkeypatch, Cancelling((True, False)))
    run(api, "vaccination_reminders", units=100)
    run(api, "vaccination_reminders", units=100)
    assert faults.cancelled >= 1
    assert doses_told() == Counter(dict.fromkeys(INFANT_DOSES, 1))
