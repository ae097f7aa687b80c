"""A scheduled job's time budget: the invocation's remaining time, less a margin."""

from __future__ import annotations

from chalicelib.core.time_budget import MARGIN_MS, UNLIMITED, TimeBudget, of_invocation


class Context:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_work_goes_on_while_more_than_the_margin_is_left() -> None:
    context = Context(MARGIN_MS + 1)
    budget = of_invocation(context)
    assert budget.allows_more()
    context.remaining_ms = MARGIN_MS
    assert not budget.allows_more()
    assert not TimeBudget(lambda: 5_000, margin_ms=5_000).allows_more()
    assert UNLIMITED.allows_more()
