"""The prescription's state machine and its rules (chalicelib.domain.prescriptions), without
I/O: every transition, the repeat rule, quantities and substitution, and the catalogue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain import medications
from chalicelib.domain import prescription_terms as terms
from chalicelib.domain import prescriptions as rules
from chalicelib.domain.prescriptions import Dispensed, Item, Medication, Prescription, StepRefused

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
PHARMACY, OTHER = "412345", "498765"
SECRET, WRONG = "a" * 64, "b" * 64
ITEMS = (
    Item(Medication("0012345", "Paracétamol 500 mg"), 2, "3 fois par jour", substitution_allowed=True),
    Item(Medication(None, "Préparation magistrale"), 1, "le soir", substitution_allowed=False),
)


def prescription(repeats: int = 0, **fields: object) -> Prescription:
    made = Prescription(
        prescription_id="rx_01JD63E5F7G9H1J3K5M7N9P1Q3",
        doctor_code="123456-78",
        practice_name="Dr Anne Weber",
        patient="1893120105732",
        patient_id="pat_01JD5Z7H2K4M6N8P0Q2R4S6T8V",
        patient_name="Marie Schmit",
        items=ITEMS,
        repeats=repeats,
        repeats_left=repeats,
        issued_at=NOW,
        expires_on=rules.expiry(NOW, 90),
        status="ready",
        qr="DHN1:…",
        access_hash="0" * 64,
        document_id="doc_01JD5Z8K3M7Q9R2T4V6W8X0Y2A",
        catalogue_version="2026-11",
    )
    return replace(made, **fields)  # type: ignore[arg-type]


def held(p: Prescription | None = None) -> Prescription:
    return rules.accept(p or prescription(), PHARMACY, SECRET, NOW)


def refusal(step: object) -> str:
    assert isinstance(step, StepRefused)
    return step.refusal


def test_expires_on_is_the_luxembourg_date_of_issue_plus_the_days() -> None:
    # 23:30 UTC on 30 November is already 1 December in Luxembourg.
    assert rules.expiry(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), 90) == date(2027, 3, 1)
    assert rules.expiry(NOW, 1) == date(2026, 11, 24)


def test_accept_holds_it_for_one_pharmacy_with_the_hash_of_its_secret() -> None:
    accepted = held()
    assert accepted.status == "in_progress"
    assert accepted.hold == rules.Hold(PHARMACY, SECRET, NOW)
    assert accepted.version == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("in_progress", "conflict"),
        ("completed", "conflict"),
        ("cancelled", "conflict"),
        ("expired", "expired"),
    ],
)
def test_only_a_ready_prescription_is_accepted(status: terms.Status, expected: str) -> None:
    with pytest.raises(StepRefused) as refused:
        rules.accept(prescription(status=status), OTHER, SECRET, NOW)
    assert refused.value.refusal == expected


def test_the_holder_accepting_again_gets_a_new_secret_and_keeps_what_it_handed_over() -> None:
    given = replace(held(), dispensed=(Dispensed(0, 1),))
    again = rules.accept(given, PHARMACY, "another-hash", NOW + timedelta(minutes=5))
    assert again.hold == rules.Hold(PHARMACY, "another-hash", NOW)
    assert again.dispensed == given.dispensed
    assert again.version == given.version + 1
    with pytest.raises(StepRefused) as refused:
        rules.accept(given, OTHER, SECRET, NOW)
    assert refused.value.refusal == "conflict"


def test_the_last_day_is_valid_and_the_day_after_is_expired() -> None:
    p = prescription(expires_on=date(2026, 11, 24))
    assert rules.accept(p, PHARMACY, SECRET, NOW + timedelta(days=1)).status == "in_progress"
    with pytest.raises(StepRefused) as refused:
        rules.accept(p, PHARMACY, SECRET, NOW + timedelta(days=2))
    assert refused.value.refusal == "expired"


@pytest.mark.parametrize(("pharmacy", "secret"), [(OTHER, SECRET), (PHARMACY, WRONG), (OTHER, WRONG)])
def test_a_wrong_secret_or_another_pharmacy_is_forbidden(pharmacy: str, secret: str) -> None:
    with pytest.raises(StepRefused) as refused:
        rules.dispense(held(), pharmacy, secret, [Dispensed(0, 1)])
    assert refused.value.refusal == "forbidden"


def test_a_reject_hands_it_back_and_voids_the_secret() -> None:
    returned = rules.reject(held(), PHARMACY, SECRET, "rupture de stock")
    assert (returned.status, returned.hold, returned.reject_reason) == ("ready", None, "rupture de stock")
    with pytest.raises(StepRefused) as refused:
        rules.dispense(returned, PHARMACY, SECRET, [Dispensed(0, 1)])
    assert refused.value.refusal == "forbidden"
    assert rules.accept(returned, OTHER, WRONG, NOW).hold == rules.Hold(OTHER, WRONG, NOW)


def test_dispensing_adds_up_to_what_was_prescribed_and_never_more() -> None:
    once = rules.dispense(held(), PHARMACY, SECRET, [Dispensed(0, 1)])
    twice = rules.dispense(once, PHARMACY, SECRET, [Dispensed(0, 1), Dispensed(1, 1)])
    assert [d.quantity for d in twice.dispensed] == [1, 1, 1]
    with pytest.raises(rules.InvalidItem) as over:
        rules.dispense(twice, PHARMACY, SECRET, [Dispensed(1, 1)])
    assert over.value.field == "items[0].quantity"
    with pytest.raises(rules.InvalidItem) as in_one:
        rules.dispense(held(), PHARMACY, SECRET, [Dispensed(0, 2), Dispensed(0, 1)])
    assert in_one.value.field == "items[1].quantity"
    with pytest.raises(rules.InvalidItem) as beyond:
        rules.dispense(held(), PHARMACY, SECRET, [Dispensed(2, 1)])
    assert beyond.value.field == "items[0].index"


def test_substitution_only_where_the_item_allows_it() -> None:
    other = Medication(None, "Dafalgan 500 mg")
    assert (
        rules.dispense(held(), PHARMACY, SECRET, [Dispensed(0, 1, other)]).dispensed[0].substituted_with
        == other
    )
    with pytest.raises(rules.InvalidItem) as refused:
        rules.dispense(held(), PHARMACY, SECRET, [Dispensed(0, 1), Dispensed(1, 1, other)])
    assert refused.value.field == "items[1].substituted_with"


def test_a_close_needs_something_dispensed_and_a_reject_nothing() -> None:
    with pytest.raises(StepRefused) as empty:
        rules.close(held(), PHARMACY, SECRET, "DHN1:r", NOW)
    assert empty.value.refusal == "conflict"
    given = rules.dispense(held(), PHARMACY, SECRET, [Dispensed(0, 1)])
    with pytest.raises(StepRefused) as late:
        rules.reject(given, PHARMACY, SECRET, "x")
    assert late.value.refusal == "conflict"


def test_without_repeats_a_close_completes_it_once() -> None:
    given = rules.dispense(held(), PHARMACY, SECRET, [Dispensed(0, 2)])
    closed = rules.close(given, PHARMACY, SECRET, "DHN1:r", NOW)
    assert (closed.status, closed.repeats_left, closed.hold, closed.dispensed) == ("completed", 0, None, ())
    assert closed.rounds == (rules.Round(1, PHARMACY, NOW, (Dispensed(0, 2),), "DHN1:r"),)
    # Dispensed once: the secret is void, and nobody accepts it again.
    with pytest.raises(StepRefused):
        rules.close(closed, PHARMACY, SECRET, "DHN1:r", NOW)
    with pytest.raises(StepRefused):
        rules.accept(closed, OTHER, SECRET, NOW)


def test_repeats_are_dispensed_once_per_round_up_to_the_number_prescribed() -> None:
    p = prescription(repeats=terms.MAX_REPEATS)
    seen: list[tuple[str, int]] = []
    while p.status == "ready":
        assert rules.next_round(p) == len(seen) + 1
        p = rules.dispense(rules.accept(p, PHARMACY, SECRET, NOW), PHARMACY, SECRET, [Dispensed(0, 2)])
        p = rules.close(p, PHARMACY, SECRET, f"DHN1:{len(seen)}", NOW)
        seen.append((p.status, p.repeats_left))
    assert seen == [("ready", 4), ("ready", 3), ("ready", 2), ("ready", 1), ("ready", 0), ("completed", 0)]
    assert [r.number for r in p.rounds] == [1, 2, 3, 4, 5, 6]


def test_a_repeat_closed_after_the_last_day_is_expired_not_ready() -> None:
    p = prescription(repeats=1, expires_on=date(2026, 11, 23))
    given = rules.dispense(held(p), PHARMACY, SECRET, [Dispensed(0, 1)])
    closed = rules.close(given, PHARMACY, SECRET, "DHN1:r", NOW + timedelta(days=1))
    assert (closed.status, closed.repeats_left) == ("expired", 0)


def test_cancel_only_while_ready() -> None:
    cancelled = rules.cancel(prescription(), "erreur")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "erreur")
    for status in ("in_progress", "completed", "cancelled", "expired"):
        with pytest.raises(StepRefused) as refused:
            rules.cancel(prescription(status=status), "x")
        assert refused.value.refusal == "conflict"


def test_the_expiry_job_marks_only_ready_ones_past_their_last_day() -> None:
    day = date(2026, 11, 30)
    p = prescription(expires_on=day)
    assert rules.expire(p, day) is None
    expired = rules.expire(p, day + timedelta(days=1))
    assert expired is not None and expired.status == "expired" and expired.version == p.version + 1
    assert rules.expire(held(p), day + timedelta(days=1)) is None
    assert rules.expire(prescription(status="completed", expires_on=day), day + timedelta(days=1)) is None


def test_every_step_moves_the_version_on() -> None:
    accepted = rules.accept(prescription(), PHARMACY, SECRET, NOW)
    given = rules.dispense(accepted, PHARMACY, SECRET, [Dispensed(0, 1)])
    closed = rules.close(given, PHARMACY, SECRET, "DHN1:r", NOW)
    assert [p.version for p in (prescription(), accepted, given, closed)] == [0, 1, 2, 3]


# The catalogue


def test_codes_must_be_in_the_catalogue_and_repeats_need_r_medicines() -> None:
    catalogue = medications.catalogue()
    assert catalogue.version and catalogue.source
    rules.check_items(ITEMS, terms.MAX_REPEATS, catalogue)
    unknown = (Item(Medication("9999999", "X"), 1, "x", True),)
    with pytest.raises(rules.InvalidItem) as refused:
        rules.check_items(unknown, 0, catalogue)
    assert refused.value.field == "items[0].medication.code"
    antibiotic = (*ITEMS, Item(Medication("0034567", "Amoxicilline 1 g"), 1, "x", True))
    rules.check_items(antibiotic, 0, catalogue)
    with pytest.raises(rules.InvalidItem) as not_r:
        rules.check_items(antibiotic, 1, catalogue)
    assert not_r.value.field == "items[2].medication.code"


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        '{"version": "1", "source": "s", "medications": [{"code": "1", "name": "a"}]}',
        '{"version": "1", "source": "s", "medications": [{"code": "1", "name": "a", "repeatable": 1}]}',
        '{"version": "1", "source": "s", "medications": ['
        '{"code": "1", "name": "a", "repeatable": true}, {"code": "1", "name": "b", "repeatable": true}]}',
        '{"version": "", "source": "s", "medications": []}',
    ],
)
def test_a_malformed_catalogue_is_a_defect_of_the_package(text: str) -> None:
    with pytest.raises(RuntimeError):
        medications.parse(text)
