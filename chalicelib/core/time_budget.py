"""How long a scheduled job may go on: the time its Lambda invocation has left, less a margin
for the unit of work under way to finish. A job checks before each unit (one conditional
write or transaction) and stops when the budget is spent; what it leaves stays in the index
it works from, so the next run picks it up."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Far longer than one unit of work takes (a write, or a Query for the next page of what is
# due), and short enough that an invocation given a few seconds still gets work done.
MARGIN_MS = 2_000


@dataclass(frozen=True)
class TimeBudget:
    remaining_ms: Callable[[], float]
    margin_ms: float = MARGIN_MS

    def allows_more(self) -> bool:
        """Whether another unit of work still fits."""
        return self.remaining_ms() > self.margin_ms


def of_invocation(context: Any) -> TimeBudget:
    """The budget of a Lambda invocation, from its context."""
    return TimeBudget(context.get_remaining_time_in_millis)


# For work run by hand or in a test, with no invocation to end it.
UNLIMITED = TimeBudget(lambda: math.inf)
