"""The insurer's certificate queue and the other certificate lists read a bounded number of
items a page, whatever the filter, and their cursors give every certificate exactly once."""

from __future__ import annotations

from datetime import timedelta

from bench.awscalls import CallCounter
from chalicelib.core.clock import FixedClock
from tests.api.conftest import ADULT, Api
from tests.api.test_bounded_lists import BUDGET, counter, every_page_reads_at_most, listing, small_budget
from tests.api.test_certificates import TODAY, issue

__all__ = ["counter", "small_budget"]


def test_every_insurer_page_reads_what_it_answers_or_the_budget(
    api: Api, counter: CallCounter, fixed_clock: FixedClock, small_budget: None
) -> None:
    doctor = api.doctor()
    api.register(ADULT)
    insurer = api.insurer()
    late_start = (TODAY - timedelta(days=10)).isoformat()
    made = []
    for n in range(8):
        fields = {"kind": "extension", "start": late_start} if n % 4 == 0 else {}
        made.append(issue(api, doctor, **fields)["id"])
        fixed_clock.advance(timedelta(minutes=1))
    # The second replaces the first: one superseded, in the insurer's list all the same.
    corrected = issue(api, doctor, replaces=made[1])["id"]
    fixed_clock.advance(timedelta(hours=1))
    late = [made[0], made[4]]
    for query, expected, reads in [
        ("", [*made, corrected], 2),
        ("?status=superseded", [made[1]], 2),
        ("?late=true", late, 2),
        ("?late=false", [c for c in [*made, corrected] if c not in late], 2),
        ("?status=issued&late=true", late, BUDGET),
        ("?status=issued&late=false", [c for c in [*made, corrected] if c not in [*late, made[1]]], BUDGET),
    ]:
        found = listing(api, counter, f"/v1/insurer/certificates{query}", insurer, 2)
        assert found.ids == expected, query
        every_page_reads_at_most(found, reads)
    practice = listing(api, counter, "/v1/certificates", doctor, 3)
    assert practice.ids == [corrected, *made[::-1]]
    every_page_reads_at_most(practice, 3)
    own = listing(api, counter, "/v1/patient/certificates", api.login(ADULT), 3)
    assert own.ids == [corrected, *made[::-1]]
    every_page_reads_at_most(own, 3, lookups=0)


def test_a_cursor_of_one_queue_does_not_resume_another(api: Api, fixed_clock: FixedClock) -> None:
    doctor = api.doctor()
    api.register(ADULT)
    for _ in range(3):
        issue(api, doctor)
    fixed_clock.advance(timedelta(hours=1))
    cns = api.insurer()
    cursor = api.get("/v1/insurer/certificates?limit=1", cns).json["next_cursor"]
    assert cursor
    for query in ("status=issued&", "late=true&", ""):
        refused = api.get(f"/v1/insurer/certificates?{query}limit=1&cursor={cursor}", api.insurer("RCAM"))
        assert refused.status == 422, (query, refused.body)
    assert api.get(f"/v1/insurer/certificates?status=issued&limit=1&cursor={cursor}", cns).status == 422
