"""The words and bounds of a prescription that a request may use: its statuses and its limits.

Apart from the records of `domain.prescriptions`, so that the blueprints declaring requests'
shapes load no record class at a cold start.
"""

from __future__ import annotations

from typing import Literal

Status = Literal["ready", "in_progress", "completed", "cancelled", "expired"]
STATUSES: tuple[Status, ...] = ("ready", "in_progress", "completed", "cancelled", "expired")
# Those a later step may still change; the expiry job watches them.
OPEN: frozenset[Status] = frozenset({"ready", "in_progress"})

MAX_ITEMS = 10
MAX_PACKS = 10
# Luxembourg's rule for "R" medicines: dispensed again within 3 months, at most 5 times.
MAX_REPEATS = 5
MAX_VALID_DAYS = 90
DEFAULT_VALID_DAYS = 90
